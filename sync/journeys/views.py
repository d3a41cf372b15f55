"""Pages a customer opens from a message: the NPS survey and unsubscribing.  Reached by a signed link,
in the customer's language; no login."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, render_template, request
from flask_babel import force_locale, gettext as _

from pos.customers import services as customers
from pos.customers.merges import resolve
from pos.db import utcnow
from sync.journeys import consents
from sync.journeys.context import language_of
from sync.journeys.links import read
from sync.journeys.models import JourneyRun, JourneySurveyAnswer
from sync.journeys.once import insert_once
from sync.journeys.settings import JourneySettings

bp = Blueprint("journeys_pages", __name__, template_folder="templates/pages")


def _settings() -> JourneySettings:
    return JourneySettings.from_config(current_app.config)


def _page(language: str, status: int = 200, **values):
    with force_locale(language):
        values.setdefault("message", "")
        values.setdefault("form", "")
        titles = {"survey": _("One question for you"), "unsubscribe": _("Unsubscribe")}
        title = values.pop("title", None) or titles.get(values.get("kind"), _("Thank you"))
        return render_template("journeys_page.html", language=language, title=title, **values), status


def _not_found(language: str):
    with force_locale(language):
        message = _("This link is not valid. Open the newest message we sent you, or contact the shop.")
    return _page(language, 404, message=message)


@bp.route("/journeys/survey/<token>", methods=["GET", "POST"])
def survey(token: str):
    settings = _settings()
    data = read(settings.secret, "survey", token)
    language = (data or {}).get("l") or settings.language
    if data is None:
        return _not_found(language)
    db = current_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        session = uow.session
        run = session.get(JourneyRun, uuid.UUID(data["r"]))
        if run is None or str(run.customer_id) != data["c"]:
            return _not_found(language)
        if session.get(JourneySurveyAnswer, run.id) is not None:
            with force_locale(language):
                return _page(language, message=_("You have answered already. Thank you!"))
        if request.method == "GET":
            return _page(language, kind="survey", form="survey")
        raw = request.form.get("score", "")
        if not raw.isdigit() or not 0 <= int(raw) <= 10:
            with force_locale(language):
                return _page(language, 422, kind="survey", form="survey",
                             message=_("Choose a number from 0 to 10, then send the answer."))
        score, comment = int(raw), request.form.get("comment", "").replace("\x00", "")[:2000]
        customer = resolve(session, run.customer_id)
        if insert_once(session, JourneySurveyAnswer, {"run_id": run.id, "customer_id": customer.id, "score": score,
                                                      "comment": comment, "answered_at": utcnow()}, ["run_id"]):
            customers.record_interaction(session, customer.id, "survey", "survey", run.id,
                                         {"score": score, "comment": comment, "journey": run.journey_key})
        uow.commit()
    with force_locale(language):
        return _page(language, message=_("Thank you! Your answer helps us do better."))


@bp.route("/journeys/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    settings = _settings()
    data = read(settings.secret, "unsubscribe", token)
    if data is None or data.get("ch") not in consents.CHANNELS:
        return _not_found(settings.language)
    db = current_app.extensions["pos.db"]
    with db.unit_of_work() as uow:
        session = uow.session
        customer = resolve(session, uuid.UUID(data["c"]))
        if customer is None or customer.erased_at is not None:
            return _not_found(settings.language)
        language = data.get("l") or language_of(customer, None, settings.language)
        if request.method == "GET":
            return _page(language, kind="unsubscribe", form="unsubscribe")
        # A mail client's one-click POST (RFC 8058) and the page's button both land here.
        consents.record(session, customer.id, data["ch"], False, "unsubscribe link")
        customers.edit(session, customer, {consents.CHANNELS[data["ch"]]: False}, origin="unsubscribe")
        uow.commit()
    with force_locale(language):
        return _page(language, message=_("You are unsubscribed: no more offers by this channel. "
                                          "Messages about your orders still come."))
