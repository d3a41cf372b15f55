"""Available-to-sell per channel, reservations and the availability change feed (reads pos stock models)."""
