"""HQ staff: every store and when it was last heard from."""
from __future__ import annotations

from flask_openapi3 import APIBlueprint, Tag
from sqlalchemy import func, select

from pos.http import BEARER, run
from pos.stores.auth import caller
from pos.stores.models import Location, StoreContact, StoreToken

api = APIBlueprint("stores", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="stores")])


def _iso(value):
    return value.isoformat() if value else None


@api.get("/stores", security=BEARER)
def list_stores():
    """Every store with its last contact and how far its pushes are applied (HQ managers)."""
    def work(session, _):
        caller(session, stores=False, manager=True)
        tokens = (select(StoreToken.location_id, func.count().label("active"))
                  .where(StoreToken.revoked.is_(False)).group_by(StoreToken.location_id).subquery())
        rows = session.execute(
            select(Location, StoreContact, tokens.c.active)
            .outerjoin(StoreContact, StoreContact.location_id == Location.id)
            .outerjoin(tokens, tokens.c.location_id == Location.id)
            .where(Location.kind == "store").order_by(Location.code)).all()
        return {"stores": [{
            "id": str(location.id), "code": location.code, "name": location.name, "country": location.country,
            "currency": location.currency, "active_tokens": active or 0,
            "last_seen_at": _iso(contact.last_seen_at) if contact else None,
            "last_push_at": _iso(contact.last_push_at) if contact else None,
            "last_pull_at": _iso(contact.last_pull_at) if contact else None,
            "applied_through": contact.applied_through if contact else 0,
            "changes_applied": contact.changes_applied if contact else 0,
        } for location, contact, active in rows]}
    return run(work, read_only=True, auth=False)
