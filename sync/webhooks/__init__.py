"""Webhooks out: subscriptions per API client, HMAC-signed deliveries retried with backoff."""
