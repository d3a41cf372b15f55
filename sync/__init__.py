"""Replication and background jobs.  Reads the store's change feed; the store's code never imports this."""
