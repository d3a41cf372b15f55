"""Pages: the courier's phone schedule, their calendar feed, and the manager's week.

The courier's pages are opened by the secret link (``?token=``); a wrong link is a plain 404.
They are sent with ``Referrer-Policy: no-referrer`` (the map links must not carry the token to
openstreetmap.org) and ``Cache-Control: no-store``.

The week page is a shell with no data in it: it asks for a manager's login (the same
/api/v1/auth/login the till uses), keeps the bearer token in sessionStorage, and loads the week
from the manager-only /api/v1/dispatch/week. No manager token ever travels in a URL.
"""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, current_app, render_template, request

from pos.dispatch import schedule
from pos.dispatch.access import schedule_reader
from pos.dispatch.api import SCHEDULE_DAYS, today
from pos.http import database, settings
from pos.problems import ApiProblem
from pos.schemas import FIRST_DAY, LAST_DAY, plausible_day

bp = Blueprint("dispatch_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/dispatch")

PRIVATE = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


def _courier_or_404(session, courier_id):
    try:
        return schedule_reader(session, courier_id)[0]
    except ApiProblem:
        abort(404)


def _day(name: str, default: dt.date) -> dt.date:
    value = request.args.get(name)
    if not value:
        return default
    try:
        return plausible_day(dt.date.fromisoformat(value))
    except ValueError:
        abort(400, f"{name}: a date like 2026-03-02, between {FIRST_DAY} and {LAST_DAY}")


@bp.get("/couriers/<uuid:courier_id>/schedule")
def courier_page(courier_id):
    first = _day("from", today())
    with database().unit_of_work(read_only=True) as uow:
        courier = _courier_or_404(uow.session, courier_id)
        data = schedule.courier_schedule(uow.session, courier, first, first + dt.timedelta(days=SCHEDULE_DAYS - 1))
    days = [d for d in data["days"] if d["stops"] or d["date"] == first.isoformat()]
    html = render_template("dispatch/courier.html", schedule=data, days=days, courier_id=str(courier_id),
                           shop_name=current_app.config["POS_STORE_NAME"], today=today().isoformat())
    return Response(html, headers=PRIVATE)


@bp.get("/couriers/<uuid:courier_id>/schedule.ics")
def courier_calendar(courier_id):
    config = current_app.config
    with database().unit_of_work(read_only=True) as uow:
        courier = _courier_or_404(uow.session, courier_id)
        body = schedule.courier_calendar(
            uow.session, courier, today(), timezone_name=settings().country.timezone,
            shop_name=config["POS_STORE_NAME"], uid_domain=f"{config['POS_STORE_CODE'].lower()}.dispatch.pos.invalid")
    return Response(body, mimetype="text/calendar", headers={
        **PRIVATE, "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": f'inline; filename="courier-{courier_id}.ics"'})


@bp.get("/dispatch/week")
def week_page():
    start = _day("start", today())
    return render_template("dispatch/week.html", start=start.isoformat(),
                           shop_name=current_app.config["POS_STORE_NAME"])
