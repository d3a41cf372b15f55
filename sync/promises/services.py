"""HQ's promise conflicts: found when a store's changes come in, proposed, applied or dismissed.

A store may still sell units HQ holds for an order: a manager's override (`sell_promised`), or a sale made
before the till heard of the hold.  When HQ applies such a change and the store's on hand no longer covers
what HQ promised there (reserved + committed), the shortfall becomes an incident with a proposal computed
from the levels and reservations at the time:

- **re-source**: move a reservation's units to another location serving its channel that can offer them
  (the same offer rule as a new reservation: spare, freshness weight, sales buffer), or
- **cancel**: release the reservation (newest promises first) when no location can take it.

Applying needs a manager's PIN (audited by the caller); it re-checks every step under the levels' row locks
and refuses a proposal the world has moved past (409, with the new proposal stored).  Nothing it does takes
a level below zero: a target gets units only from what it can offer, a source gives back only what the
reservation holds there."""
from __future__ import annotations

import datetime as dt
import logging
import uuid

from sqlalchemy import func, select, update

from pos.db import utcnow
from pos.ids import new_id
from pos.stock.models import Reservation, ReservationEvent, ReservationLine, StockLevel
from pos.stock.services import lock_levels
from pos.stores.models import Location
from sync.promises.models import APPLIED, DISMISSED, OPEN, SETTLED, PromiseConflict
from sync.promises.taken import pop_taken
from sync.stock import reservations
from sync.stock.availability import Freshness, contribution, location_states, sales_buffers
from sync.stock.channels import channel_rule
from sync.stock.holds import publish_holds
from sync.webhooks.events import enqueue

log = logging.getLogger(__name__)
ACTIVE = ("held", "committed")


class PromiseError(Exception):
    """A request about a promise conflict that cannot be done as asked (the HTTP layer makes it a problem)."""

    def __init__(self, status: int, slug: str, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.status, self.slug, self.field, self.reason = status, slug, field, reason


class ProposalChanged(PromiseError):
    """The proposal no longer fits the levels or reservations; a new one is stored (nothing else changed)."""

    def __init__(self, conflict: PromiseConflict, why: str):
        super().__init__(409, "proposal-changed", "proposal", f"{why}; a new proposal is stored: look at it again")
        self.conflict = conflict


def _open_key(location_id, product_id) -> str:
    return f"{location_id}:{product_id}"


def detect(session, location, applied_ids: set[str], freshness: Freshness) -> list[PromiseConflict]:
    """After a store's changes are in: every level they took units off that no longer covers HQ's promises
    there opens an incident (or brings the open one up to date).  Runs once per applied change: a change
    sent again is recognised by its id before anything is applied, so it never comes here twice."""
    taken = {pair: refs for pair, refs in pop_taken(session).items() if pair[0] == location.id}
    if not taken:
        return []
    levels = session.execute(select(StockLevel).where(
        StockLevel.location_id == location.id, StockLevel.product_id.in_([p for _, p in taken]))
        .execution_options(populate_existing=True)).scalars().all()
    found = []
    for level in sorted(levels, key=lambda row: str(row.product_id)):
        promised = level.reserved + level.committed
        short = promised - max(0, level.on_hand)
        if promised <= 0 or short <= 0:
            continue
        causes = [{"entity": "change", "id": str(ref)} for ref in sorted(taken[(level.location_id, level.product_id)],
                                                                         key=str)
                  if ref is not None and str(ref) in applied_ids]
        found.append(_record(session, freshness, location, level, short, causes))
    return found


def _record(session, freshness: Freshness, location, level, short: int, causes: list) -> PromiseConflict:
    key = _open_key(level.location_id, level.product_id)
    conflict = session.scalars(select(PromiseConflict).where(PromiseConflict.open_key == key)).one_or_none()
    now = utcnow()
    if conflict is None:
        from pos.catalogue.models import Product
        sku = session.scalar(select(Product.sku).where(Product.id == level.product_id)) or str(level.product_id)
        conflict = PromiseConflict(id=new_id(), location_id=level.location_id, product_id=level.product_id, sku=sku,
                                   status=OPEN, open_key=key, causes=[], created_at=now, note="")
        log.warning("promise conflict at %s: %s short of %s", location.code, short, sku)
    known = {(c["entity"], c["id"]) for c in conflict.causes or []}
    conflict.causes = list(conflict.causes or []) + [c for c in causes if (c["entity"], c["id"]) not in known]
    _refresh(session, freshness, conflict, level, now)  # complete before it is added: queries flush
    session.add(conflict)
    session.flush()
    return conflict


def _refresh(session, freshness: Freshness, conflict: PromiseConflict, level, now: dt.datetime) -> None:
    conflict.on_hand, conflict.promised = level.on_hand, level.reserved + level.committed
    conflict.short = max(0, conflict.promised - max(0, level.on_hand))
    affected = affected_reservations(session, conflict.location_id, conflict.product_id)
    conflict.reservations = affected
    conflict.proposal = propose(session, freshness, now, conflict, affected)
    conflict.updated_at = now


def affected_reservations(session, location_id, product_id) -> list[dict]:
    """Held and committed reservations with units of the product at the location, oldest first."""
    rows = session.execute(
        select(Reservation.id, Reservation.channel, Reservation.reference, Reservation.order_id, Reservation.status,
               Reservation.created_at, func.sum(ReservationLine.quantity))
        .join(ReservationLine, ReservationLine.reservation_id == Reservation.id)
        .where(ReservationLine.location_id == location_id, ReservationLine.product_id == product_id,
               Reservation.status.in_(ACTIVE))
        .group_by(Reservation.id, Reservation.channel, Reservation.reference, Reservation.order_id,
                  Reservation.status, Reservation.created_at)
        .order_by(Reservation.created_at, Reservation.id)).all()
    return [{"id": str(r[0]), "channel": r[1], "reference": r[2], "order_id": r[3], "status": r[4],
             "quantity": int(r[6])} for r in rows]


def _offers(session, freshness: Freshness, now: dt.datetime, product_id, levels: dict) -> dict:
    """location id → units that location can offer of the product now (the rule a new reservation meets)."""
    weights, unheard = location_states(session, freshness, now)
    buffers = sales_buffers(session, freshness, now, unheard, [product_id])
    return {location_id: contribution(level, weights.get(location_id, 0), buffers.get((location_id, product_id), 0))
            for location_id, level in levels.items()}


def propose(session, freshness: Freshness, now: dt.datetime, conflict: PromiseConflict, affected: list[dict],
            levels: dict | None = None) -> dict:
    """Steps that cover the shortfall: the newest promises yield first; each is re-sourced whole to locations
    serving its channel that can offer the units, else cancelled."""
    if levels is None:
        levels = {row.location_id: row for row in session.scalars(
            select(StockLevel).where(StockLevel.product_id == conflict.product_id))}
    offers = _offers(session, freshness, now, conflict.product_id,
                     {lid: row for lid, row in levels.items() if lid != conflict.location_id})
    codes = dict(session.execute(select(Location.id, Location.code)).all())
    left, steps = conflict.short, []
    for reservation in reversed(affected):
        if left <= 0:
            break
        move = min(left, reservation["quantity"])
        rule = channel_rule(session, reservation["channel"])
        serving = [lid for lid, units in sorted(offers.items(), key=lambda kv: (-kv[1], str(kv[0])))
                   if units > 0 and rule is not None and (rule.location_ids is None or lid in rule.location_ids)
                   and codes.get(lid)]
        placed, need = [], move
        for location_id in serving:
            units = min(need, offers[location_id])
            placed.append((location_id, units))
            need -= units
            if not need:
                break
        base = {"reservation_id": reservation["id"], "channel": reservation["channel"],
                "reference": reservation["reference"], "order_id": reservation["order_id"]}
        if need == 0:
            for location_id, units in placed:
                offers[location_id] -= units
                steps.append({**base, "action": "re-source", "quantity": units, "from": codes[conflict.location_id],
                              "to": codes[location_id]})
            left -= move
        else:
            steps.append({**base, "action": "cancel", "quantity": reservation["quantity"],
                          "from": codes[conflict.location_id], "to": None})
            left -= reservation["quantity"]
    actions = {step["action"] for step in steps}
    action = "none" if not actions else actions.pop() if len(actions) == 1 else "re-source-and-cancel"
    return {"action": action, "short": conflict.short, "steps": steps}


def listed(session, status: str | None = OPEN, store: str | None = None, limit: int = 200):
    statement = select(PromiseConflict, Location.code).join(Location, Location.id == PromiseConflict.location_id)
    if status:
        statement = statement.where(PromiseConflict.status == status)
    if store:
        statement = statement.where(Location.code == store)
    return session.execute(statement.order_by(PromiseConflict.created_at, PromiseConflict.id).limit(limit)).all()


def counts(session) -> dict[str, int]:
    return dict(session.execute(select(PromiseConflict.status, func.count()).group_by(PromiseConflict.status)).all())


def get(session, conflict_id, *, for_update: bool = False) -> tuple[PromiseConflict, str]:
    statement = select(PromiseConflict).where(PromiseConflict.id == conflict_id)
    conflict = session.scalars(statement.with_for_update() if for_update else statement).one_or_none()
    if conflict is None:
        raise PromiseError(404, "unknown-promise-conflict", "conflict_id", f"no promise conflict {conflict_id}")
    return conflict, session.scalar(select(Location.code).where(Location.id == conflict.location_id))


def conflict_json(conflict: PromiseConflict, store: str) -> dict:
    return {"id": str(conflict.id), "kind": "promise_conflict", "store": store, "sku": conflict.sku,
            "status": conflict.status, "on_hand": conflict.on_hand, "promised": conflict.promised,
            "short": conflict.short, "reservations": conflict.reservations, "causes": conflict.causes,
            "proposal": conflict.proposal, "created_at": conflict.created_at.isoformat(),
            "updated_at": conflict.updated_at.isoformat(), "note": conflict.note,
            "resolved_at": conflict.resolved_at.isoformat() if conflict.resolved_at else None,
            "resolved_by": str(conflict.resolved_by) if conflict.resolved_by else None}


def _still_open(conflict: PromiseConflict) -> None:
    if conflict.status != OPEN:
        raise PromiseError(409, "promise-conflict-resolved", "conflict_id",
                           f"this conflict was {conflict.status} already; nothing to do")


def prepare(session, freshness: Freshness, conflict_id, now: dt.datetime | None = None):
    """Lock what applying touches and check the stored proposal still fits: (conflict, store code, locked
    levels).  A proposal that no longer fits is replaced (ProposalChanged; the caller keeps the new one)."""
    now = now or utcnow()
    conflict, store = get(session, conflict_id, for_update=True)
    _still_open(conflict)
    steps = conflict.proposal.get("steps", [])
    codes = {code: lid for lid, code in session.execute(select(Location.id, Location.code)).all()}
    pairs = {(conflict.location_id, conflict.product_id)}
    pairs |= {(codes[step["to"]], conflict.product_id) for step in steps if step.get("to") in codes}
    locked = lock_levels(session, pairs, create_missing=False)
    level = locked.get((conflict.location_id, conflict.product_id))
    short = 0 if level is None else level.reserved + level.committed - max(0, level.on_hand)
    if short <= 0:
        return conflict, store, locked
    affected = {r["id"]: r for r in affected_reservations(session, conflict.location_id, conflict.product_id)}
    levels = {lid: row for (lid, _pid), row in locked.items()}
    offers = _offers(session, freshness, now, conflict.product_id,
                     {lid: row for lid, row in levels.items() if lid != conflict.location_id})
    why, covered = None, 0
    for step in steps:
        held = affected.get(step["reservation_id"])
        if held is None:
            why = f"reservation {step['reservation_id']} is no longer held here"
        elif step["action"] == "re-source":
            target = codes.get(step["to"])
            if offers.get(target, 0) < step["quantity"]:
                why = f"{step['to']} can no longer offer {step['quantity']}"
            else:
                offers[target] -= step["quantity"]
                held["quantity"] -= step["quantity"]
                if held["quantity"] < 0:
                    why = f"reservation {step['reservation_id']} holds fewer units here now"
        covered += step["quantity"]
        if why:
            break
    if why is None and covered < short:
        why = f"{short} short now, the proposal covers {covered}"
    if why is not None:
        if level is not None:
            _refresh(session, freshness, conflict, level, now)
        raise ProposalChanged(conflict, why)
    return conflict, store, locked


def apply(session, conflict: PromiseConflict, store: str, locked: dict, manager, note: str = "") -> PromiseConflict:
    """Carry out a proposal ``prepare`` checked (under its locks), after the manager's approval."""
    level = locked.get((conflict.location_id, conflict.product_id))
    if level is None or level.reserved + level.committed - max(0, level.on_hand) <= 0:
        _resolve(conflict, SETTLED, manager, note or "nothing short any more")
        return conflict
    codes = {code: lid for lid, code in session.execute(select(Location.id, Location.code)).all()}
    for step in conflict.proposal["steps"]:
        detail = f"promise conflict {conflict.id} at {store}"
        if step["action"] == "cancel":
            cancelled = reservations.give_back(session, uuid.UUID(step["reservation_id"]), f"cancelled: {detail}")
            # The shop must cancel its order too: it learns it now, not when it next reads the reservation.
            enqueue(session, "reservation.cancelled", {
                "reservation_id": str(cancelled.id), "channel": cancelled.channel, "reference": cancelled.reference,
                "order_id": cancelled.order_id, "status": cancelled.status, "reason": "promise_conflict",
                "promise_conflict_id": str(conflict.id), "store": store, "sku": conflict.sku,
                "quantity": step["quantity"]})
        else:
            _re_source(session, step, conflict, codes[step["to"]], detail)
    _resolve(conflict, APPLIED, manager, note)
    return conflict


def _re_source(session, step: dict, conflict: PromiseConflict, target_id, detail: str) -> None:
    reservation = session.get(Reservation, uuid.UUID(step["reservation_id"]), populate_existing=True)
    column = StockLevel.reserved if reservation.status == "held" else StockLevel.committed
    quantity = step["quantity"]
    # Relative updates, as reservations.move does: a cancel step before this one moved the same rows.
    for location_id, sign in ((conflict.location_id, -1), (target_id, +1)):
        session.execute(update(StockLevel).where(StockLevel.location_id == location_id,
                                                 StockLevel.product_id == conflict.product_id)
                        .values({column: column + sign * quantity}))
    lines = list(session.scalars(select(ReservationLine).where(ReservationLine.reservation_id == reservation.id,
                                                               ReservationLine.product_id == conflict.product_id)))
    here = next(line for line in lines if line.location_id == conflict.location_id)
    there = next((line for line in lines if line.location_id == target_id), None)
    if there is None and here.quantity == quantity:
        here.location_id = target_id  # the whole line moves
    else:
        if there is None:
            position = session.scalar(select(func.max(ReservationLine.position))
                                      .where(ReservationLine.reservation_id == reservation.id)) or 0
            session.add(ReservationLine(id=new_id(), reservation_id=reservation.id, position=position + 1,
                                        location_id=target_id, product_id=conflict.product_id, sku=here.sku,
                                        quantity=quantity))
        else:
            there.quantity += quantity
        here.quantity -= quantity
        if here.quantity == 0:
            session.delete(here)
    session.add(ReservationEvent(id=new_id(), reservation_id=reservation.id, status=reservation.status, at=utcnow(),
                                 detail=f"re-sourced {quantity} × {conflict.sku} {step['from']} → {step['to']}: "
                                        f"{detail}"[:200]))
    session.flush()
    publish_holds(session, {(conflict.location_id, conflict.product_id), (target_id, conflict.product_id)})


def dismiss(session, conflict_id, manager, note: str) -> tuple[PromiseConflict, str]:
    conflict, store = get(session, conflict_id, for_update=True)
    _still_open(conflict)
    _resolve(conflict, DISMISSED, manager, note)
    return conflict, store


def _resolve(conflict: PromiseConflict, status: str, manager, note: str) -> None:
    conflict.status, conflict.open_key = status, None
    conflict.resolved_at, conflict.resolved_by, conflict.note = utcnow(), manager.id, note[:500]
