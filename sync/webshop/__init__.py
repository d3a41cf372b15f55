"""The web-shop sync API: API clients with scoped keys, idempotent POSTs, availability, reservations, orders."""
