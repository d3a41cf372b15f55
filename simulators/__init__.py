"""Emulators of what the shop talks to (device emulators, marketplace and PRRO fakes), for tests and the
demo.  A plain library: it imports nothing of ours, and production code never imports it."""
