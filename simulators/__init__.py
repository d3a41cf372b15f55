"""Emulators of the devices and services the product talks to, for the tests and the demo.

Production code never imports this package: it holds stand-ins that answer like the real thing
(and check what they are sent), not parts of the product.
"""
