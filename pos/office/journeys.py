"""Customer journeys in the back office (HQ and standalone): each journey with who it would reach now, its
definition edited as data (a new version, confirmed by the manager's PIN and audited), the messages the
journeys sent as the customer read them, and the call centre's work queue closed with outcome codes."""
from __future__ import annotations

import json
import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from pos.db import utcnow
from pos.http import database
from pos.office.paging import paged
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed
from pos.problems import ApiProblem
from sync.journeys import store, tasks
from sync.journeys.definitions import validate
from sync.journeys.models import Journey, JourneyOutbox, JourneyRun, JourneyTask
from sync.journeys.preview import who_would_enter

HQ_ONLY = ("hq", "standalone")
MESSAGE_KINDS = ("email", "sms", "task", "webhook")
MESSAGE_STATUSES = ("pending", "sending", "sent", "skipped", "failed")


def _with_defaults() -> None:
    """The shipped journeys, written as the worker's first round would, so the page shows what will run."""
    with database().unit_of_work() as uow:
        if uow.session.scalar(select(Journey.id).limit(1)) is None:
            store.ensure_defaults(uow.session)
            uow.commit()


def _newest(session) -> list[Journey]:
    """The newest version of every journey, switched on or off."""
    newest = select(Journey.key, func.max(Journey.version).label("version")).group_by(Journey.key).subquery()
    return list(session.scalars(select(Journey).join(newest, (Journey.key == newest.c.key)
                                                     & (Journey.version == newest.c.version)).order_by(Journey.key)))


@bp.get("/journeys")
@page(MANAGER, nodes=HQ_ONLY)
def journeys():
    now = utcnow()
    _with_defaults()
    with database().unit_of_work(read_only=True) as uow:
        rows = []
        for journey in _newest(uow.session):
            active_runs = uow.session.scalar(select(func.count()).select_from(JourneyRun).where(
                JourneyRun.journey_key == journey.key, JourneyRun.status == "active"))
            rows.append((journey, active_runs, who_would_enter(uow.session, journey.definition, now)))
    return render_template("office/journeys.html", rows=rows)


def _journey_page(key: str, text: str | None = None, preview=None, error: str | None = None, status: int = 200):
    _with_defaults()
    with database().unit_of_work(read_only=True) as uow:
        versions = list(uow.session.scalars(select(Journey).where(Journey.key == key)
                                             .order_by(Journey.version.desc())))
        if not versions:
            abort(404)
        if preview is None and text is None:
            preview = who_would_enter(uow.session, versions[0].definition, utcnow())
    if text is None:
        text = json.dumps({k: v for k, v in versions[0].definition.items() if k != "key"}, indent=2,
                          ensure_ascii=False)
    return render_template("office/journey_item.html", journey=versions[0], versions=versions, text=text,
                           preview=preview, error=error), status


@bp.get("/journeys/<key>")
@page(MANAGER, nodes=HQ_ONLY)
def journey_item(key: str):
    return _journey_page(key)


def _definition(key: str) -> dict:
    """The textarea's JSON as a valid definition, or Refused with what to correct."""
    text = request.form.get("definition", "")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise Refused(gettext("The definition is not valid JSON (line %(line)s): correct it and try again.",
                              line=getattr(exc, "lineno", 1))) from None
    if not isinstance(raw, dict):
        raise Refused(gettext("The definition must be a JSON object { … }."))
    try:
        return validate({**raw, "key": key})
    except ApiProblem as problem:
        raise Refused(gettext("This definition would not run: %(detail)s. Correct it; nothing was saved.",
                              detail=problem.detail)) from None


@bp.post("/journeys/<key>/preview")
@page(MANAGER, nodes=HQ_ONLY)
def journey_preview(key: str):
    text = request.form.get("definition", "")
    try:
        definition = _definition(key)
    except Refused as refused:
        return _journey_page(key, text=text, error=refused.message, status=422)
    with database().unit_of_work(read_only=True) as uow:
        preview = who_would_enter(uow.session, definition, utcnow())
    return _journey_page(key, text=text, preview=preview)


@bp.post("/journeys/<key>")
@page(MANAGER, nodes=HQ_ONLY)
def journey_save(key: str):
    text = request.form.get("definition", "")
    switch_to = request.form.get("switch")

    def work(session):
        latest = session.scalars(select(Journey).where(Journey.key == key).order_by(Journey.version.desc())).first()
        if latest is None:
            abort(404)
        if switch_to in ("on", "off"):
            definition, active, action = latest.definition, switch_to == "on", "journey_switch"
        else:
            definition, active, action = _definition(key), latest.active, "journey_save"
        confirmed(session, request.form.get("pin", ""), action=action, subject=f"journey {key}",
                  details={"version": latest.version + 1, "active": active, "via": "office"})
        return store.save(session, definition, actor=g.staff.login, active=active)

    try:
        saved = change(work)
    except Refused as refused:
        return _journey_page(key, text=text or None, error=refused.message, status=422)
    flash(gettext("Saved as version %(version)s; runs already under way keep the version they began on.",
                  version=saved.version) if saved.active else
          gettext("Switched off (version %(version)s): nobody new enters; runs under way finish.",
                  version=saved.version))
    return redirect(url_for("office.journey_item", key=key))


@bp.get("/messages")
@page(MANAGER, nodes=HQ_ONLY)
def journey_messages():
    kind, status = request.args.get("kind", ""), request.args.get("status", "")
    with database().unit_of_work(read_only=True) as uow:
        statement = select(JourneyOutbox)
        if kind in MESSAGE_KINDS:
            statement = statement.where(JourneyOutbox.kind == kind)
        if status in MESSAGE_STATUSES:
            statement = statement.where(JourneyOutbox.status == status)
        listed = paged(uow.session, statement.order_by(JourneyOutbox.created_at.desc()), scalars=True)
    return render_template("office/messages.html", listed=listed, kind=kind, status=status,
                           kinds=MESSAGE_KINDS, statuses=MESSAGE_STATUSES)


@bp.get("/messages/<uuid:message_id>")
@page(MANAGER, nodes=HQ_ONLY)
def journey_message(message_id: uuid.UUID):
    with database().unit_of_work(read_only=True) as uow:
        row = uow.session.get(JourneyOutbox, message_id)
        if row is None:
            abort(404)
    return render_template("office/message_item.html", row=row)


@bp.get("/call-centre")
@page(MANAGER, nodes=HQ_ONLY)
def call_centre(error: str | None = None, status: int = 200):
    queue = request.args.get("queue", "")
    with database().unit_of_work(read_only=True) as uow:
        queues = list(uow.session.scalars(select(JourneyTask.queue).distinct().order_by(JourneyTask.queue)))
        queue = queue if queue in queues else (queues[0] if queues else "")
        open_tasks = tasks.work_queue(uow.session, queue, "open") if queue else []
    return render_template("office/call_centre.html", queue=queue, queues=queues, tasks=open_tasks,
                           outcomes=tasks.OUTCOMES, error=error), status


@bp.post("/call-centre/<uuid:task_id>")
@page(MANAGER, nodes=HQ_ONLY)
def call_centre_close(task_id: uuid.UUID):
    outcome, note = request.form.get("outcome", ""), request.form.get("note", "").replace("\x00", "")[:500]
    if outcome not in tasks.OUTCOMES:
        return call_centre.__wrapped__(error=gettext("Choose how the call went, then save."), status=422)
    try:
        change(lambda session: tasks.close(session, task_id, outcome, note, g.staff.login))
    except Refused as refused:
        return call_centre.__wrapped__(error=refused.message, status=409)
    flash(gettext("Saved on the customer's timeline."))
    return redirect(url_for("office.call_centre", queue=request.args.get("queue", "")))
