"""HQ's quarantine: store changes HQ refused, kept with the reason until an operator replays or discards them."""
