"""HQ's quarantine in the back office: the refused store changes, each with its reason; replay (as sent
or fixed) or discard with a reason.  The same services as `flask quarantine …`, confirmed by the
manager's PIN and audited the same way."""
from __future__ import annotations

import json
import uuid

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import or_, select

from pos.http import database
from pos.office.paging import like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed
from pos.stores.models import Location
from sync.quarantine import services
from sync.quarantine.models import DISCARDED, HELD, REPLAYED, QuarantinedChange
from sync.quarantine.services import QuarantineError, StillRefused

STATUSES = (HELD, REPLAYED, DISCARDED)
HQ_ONLY = ("hq", "standalone")


@bp.get("/quarantine")
@page(MANAGER, nodes=HQ_ONLY)
def quarantine_list():
    status = request.args.get("status", HELD)
    store = search_text("store", 32)
    query = search_text()
    with database().unit_of_work(read_only=True) as uow:
        statement = (select(QuarantinedChange, Location.code)
                     .join(Location, Location.id == QuarantinedChange.location_id))
        if status in STATUSES:
            statement = statement.where(QuarantinedChange.status == status)
        if store:
            statement = statement.where(Location.code == store)
        if query:
            statement = statement.where(or_(QuarantinedChange.entity_id.ilike(like(query)),
                                            QuarantinedChange.entity.ilike(like(query))))
        listed = paged(uow.session, statement.order_by(QuarantinedChange.received_at, QuarantinedChange.seq))
        counts = services.counts(uow.session)
        stores = list(uow.session.scalars(select(Location.code).where(Location.kind == "store")
                                          .order_by(Location.code)))
    return render_template("office/quarantine_list.html", listed=listed, counts=counts, status=status,
                           store=store, query=query, stores=stores, statuses=STATUSES)


def _item(session, item_id):
    try:
        return services.get(session, item_id)
    except QuarantineError:
        abort(404)


@bp.get("/quarantine/<uuid:item_id>")
@page(MANAGER, nodes=HQ_ONLY)
def quarantine_item(item_id, error: str | None = None, fixed: str | None = None, status: int = 200):
    with database().unit_of_work(read_only=True) as uow:
        row, location = _item(uow.session, item_id)
    payload = fixed if fixed is not None else json.dumps(row.payload, indent=2, ensure_ascii=False)
    return render_template("office/quarantine_item.html", row=row, store=location.code, payload=payload,
                           problem=row.problem or {}, error=error), status


def _act(item_id: uuid.UUID, action: str, details: dict, work, done: str):
    """Confirm with the PIN, audit and do ``work(session, manager)``; the page again with the reason on refusal."""
    def in_transaction(session):
        row, location = _item(session, item_id)
        manager = confirmed(session, request.form.get("pin", ""), action=action,
                            subject=f"quarantined change {item_id}",
                            details={"store": location.code, "seq": row.seq, "entity": row.entity,
                                     "entity_id": row.entity_id, "via": "office", **details})
        return work(session, manager)
    try:
        row = change(in_transaction)
    except Refused as refused:
        return quarantine_item.__wrapped__(item_id, error=refused.message, fixed=request.form.get("payload"),
                                           status=422)
    except StillRefused as exc:
        message = gettext("Refused again, nothing was applied: %(field)s: %(reason)s. Fix the payload below "
                          "and replay, or discard it.", field=exc.refusal.field.removeprefix("change."),
                          reason=exc.refusal.reason)
        return quarantine_item.__wrapped__(item_id, error=message, fixed=request.form.get("payload"), status=422)
    except QuarantineError as exc:
        message = gettext("This change was dealt with already (%(status)s); nothing was changed.",
                          status=exc.reason)
        return quarantine_item.__wrapped__(item_id, error=message, status=409)
    flash(done % {"entity": row.entity, "entity_id": row.entity_id, "seq": row.seq})
    return redirect(url_for("office.quarantine_list"))


@bp.post("/quarantine/<uuid:item_id>/replay")
@page(MANAGER, nodes=HQ_ONLY)
def quarantine_replay(item_id):
    note = request.form.get("note", "").strip()[:500]
    text = request.form.get("payload", "").strip()
    payload = None
    if text:
        try:
            payload = json.loads(text)
        except ValueError as exc:
            return quarantine_item.__wrapped__(
                item_id, error=gettext("The payload is not valid JSON (line %(line)s): correct it and replay again.",
                                       line=getattr(exc, "lineno", 1)), fixed=text, status=422)
        if not isinstance(payload, dict):
            return quarantine_item.__wrapped__(item_id, error=gettext("The payload must be a JSON object { … }."),
                                               fixed=text, status=422)

    def work(session, manager):
        row, _location = services.get(session, item_id)
        as_sent = payload == row.payload
        return services.replay(session, item_id, manager, payload=None if as_sent else payload, note=note)
    return _act(item_id, "quarantine_replay", {"fixed": payload is not None, "note": note}, work,
                gettext("Replayed: %(entity)s %(entity_id)s (seq %(seq)s) is applied at head office."))


@bp.post("/quarantine/<uuid:item_id>/discard")
@page(MANAGER, nodes=HQ_ONLY)
def quarantine_discard(item_id):
    note = request.form.get("note", "").strip()[:500]
    if not note:
        return quarantine_item.__wrapped__(item_id, error=gettext("Say why it is discarded: the reason is kept "
                                                                  "in the audit log."), status=422)
    return _act(item_id, "quarantine_discard", {"note": note},
                lambda session, manager: services.discard(session, item_id, manager, note),
                gettext("Discarded: %(entity)s %(entity_id)s (seq %(seq)s); it will not be applied."))
