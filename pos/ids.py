"""Ids made at a node are time-ordered UUIDs (v7), so stores never collide and indexes stay append-mostly."""
import uuid

import uuid6


def new_id() -> uuid.UUID:
    return uuid.UUID(int=uuid6.uuid7().int)
