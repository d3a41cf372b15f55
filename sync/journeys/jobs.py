"""The worker's journeys job: take in the timeline, advance due runs, carry out the outbox."""
from __future__ import annotations

import datetime as dt

from pos.db import utcnow
from sync.journeys.engine import advance, take_in
from sync.journeys.outbox import Senders, dispatch
from sync.journeys.privacy import forget_erased
from sync.journeys.settings import JourneySettings
from sync.journeys.store import ensure_defaults


def journey_round(db, settings, senders, now: dt.datetime | None = None) -> dict:
    now = now or utcnow()
    with db.unit_of_work() as uow:
        forget_erased(uow.session, now)
        taken = take_in(uow.session, now)
        uow.commit()
    with db.unit_of_work() as uow:
        steps = advance(uow.session, settings, now)
        uow.commit()
    return {"events": taken, "steps": steps, **dispatch(db, settings, senders, now)}


def run_journeys(app) -> str:
    settings = JourneySettings.from_config(app.config)
    db = app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        if ensure_defaults(uow.session):
            uow.commit()
    counts = journey_round(db, settings, Senders.from_settings(settings))
    return ", ".join(f"{n} {what}" for what, n in counts.items())
