"""The store's devices wired to selling: the fiscal queue, receipts, drawer, display, scanner.

``hardware/`` knows how to talk to each device; this area decides *when*: after a sale is
committed it is fiscalised exactly once (journal in the DB), its receipt printed and kept,
the drawer kicked and the display updated.  A device fault never undoes or blocks a sale.
"""
