"""Journey definitions stored and versioned: a save is a new version; runs keep the version they began on."""
from __future__ import annotations

from sqlalchemy import func, select

from pos.problems import ApiProblem
from sync.journeys.definitions import DEFAULTS, validate
from sync.journeys.models import Journey


def save(session, raw: dict, actor: str = "", active: bool = True) -> Journey:
    definition = validate(raw)
    latest = session.scalar(select(func.max(Journey.version)).where(Journey.key == definition["key"])) or 0
    journey = Journey(key=definition["key"], version=latest + 1, active=active, definition=definition,
                      created_by=actor)
    session.add(journey)
    session.flush()
    return journey


def ensure_defaults(session) -> int:
    """The shipped journeys, on, unless a version of the key exists (a manager's edit or switch-off wins)."""
    known = set(session.scalars(select(Journey.key)))
    added = [save(session, raw, actor="defaults") for raw in DEFAULTS if raw["key"] not in known]
    return len(added)


def current(session) -> list[Journey]:
    """The newest version of every journey that is switched on."""
    newest = (select(Journey.key, func.max(Journey.version).label("version")).group_by(Journey.key).subquery())
    rows = session.scalars(select(Journey).join(newest, (Journey.key == newest.c.key)
                                                & (Journey.version == newest.c.version)).order_by(Journey.key))
    return [journey for journey in rows if journey.active]


def switch(session, key: str, active: bool, actor: str) -> Journey:
    journey = session.scalars(select(Journey).where(Journey.key == key).order_by(Journey.version.desc())).first()
    if journey is None:
        raise ApiProblem(404, "unknown-journey", f"key: no journey {key!r}", field="key")
    return save(session, journey.definition, actor=actor, active=active)
