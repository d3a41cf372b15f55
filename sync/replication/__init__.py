"""Store ↔ HQ replication: the store pushes its change feed, pulls HQ's; HQ applies each change once."""
