"""What HQ's transaction took off a store's stock while applying its changes, for the promise check after it.

Kept on the session (``session.info``), so it lives exactly as long as the unit of work that wrote the
movements; a change rolled back to its savepoint may leave a note behind, which costs one look at a level
that turns out not to be short."""
from __future__ import annotations

KEY = "pos.promises.taken"


def note_taken(session, location_id, product_ids, reference_id) -> None:
    taken = session.info.setdefault(KEY, {})
    for product_id in product_ids:
        taken.setdefault((location_id, product_id), set()).add(reference_id)


def pop_taken(session) -> dict:
    """{(location id, product id): {reference ids}} noted since the last pop."""
    return session.info.pop(KEY, {})
