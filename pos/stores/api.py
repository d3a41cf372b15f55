"""HQ staff: every store and when it was last heard from.  A store's till: may this store sell yet
(its database's epoch), and a manager's decision to sell offline before HQ has answered."""
from __future__ import annotations

from flask import current_app
from flask_babel import gettext
from flask_openapi3 import APIBlueprint, Tag
from pydantic import Field
from sqlalchemy import func, select

from pos.http import BEARER, run, settings
from pos.problems import ApiProblem
from pos.schemas import Approval, Strict
from pos.staff.services import approve
from pos.stores import epochs
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
            "fresh_through": _iso(location.last_heard_at),  # what online channels go by: pushes that arrived
            "applied_through": contact.applied_through if contact else 0,
            "changes_applied": contact.changes_applied if contact else 0,
        } for location, contact, active in rows]}
    return run(work, read_only=True, auth=False)


def not_selling_yet() -> ApiProblem:
    """The till's answer while the store's database waits for HQ (new or restored)."""
    return ApiProblem(409, "store-not-confirmed", gettext(
        "This store's database is new or was restored and head office has not confirmed it yet, so receipt "
        "numbers could repeat. Wait for the connection to head office, or ask a manager to allow selling "
        "offline."), field="store", title=gettext("Selling waits for head office"))


def _epoch_json(epoch) -> dict:
    return {"epoch": str(epoch.id) if epoch else None, "reason": epoch.reason if epoch else None,
            "started_at": _iso(epoch.started_at) if epoch else None,
            "confirmed_at": _iso(epoch.confirmed_at) if epoch else None,
            "offline_at": _iso(epoch.offline_at) if epoch else None,
            "may_sell": current_app.config["POS_ROLE"] != "store" or epochs.may_sell(epoch)}


class OfflineIn(Strict):
    approval: Approval
    reason: str = Field(min_length=3, max_length=300)


@api.get("/store/epoch", security=BEARER)
def store_epoch():
    """This database's epoch and whether the tills may sell in it."""
    return run(lambda session, _till: _epoch_json(epochs.current_epoch(session)), read_only=True)


@api.post("/store/epoch/offline", security=BEARER)
def sell_offline(body: OfflineIn):
    """A manager allows selling before HQ has confirmed this database (audited).  Receipt numbers may then
    repeat ones HQ already holds; HQ keeps both sales by their ids."""
    def work(session, till):
        epoch = epochs.ensure_epoch(session)
        if not epochs.may_sell(epoch):
            manager = approve(session, body.approval, settings().pin_policy, action="sell_offline_unconfirmed",
                              cashier=till.cashier, terminal=till.terminal, subject=str(epoch.id),
                              details={"reason": body.reason, "epoch_reason": epoch.reason})
            epochs.allow_offline(session, epoch, manager.id)
        return _epoch_json(epoch)
    return run(work)
