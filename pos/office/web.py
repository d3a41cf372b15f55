"""The back office's blueprint, its session cookie and CSRF protection; composed by the app factory."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from pos.terminal.i18n import COOKIE as LANGUAGE_COOKIE
from pos.terminal.i18n import LANGUAGES

bp = Blueprint("office", __name__, url_prefix="/office", template_folder="templates", static_folder="static",
               static_url_path="/static")
csrf = CSRFProtect()


def install(app) -> None:
    """Cookie flags, CSRF on the office's forms (the JSON API keeps its bearer tokens) and the pages."""
    app.config.update(
        SESSION_COOKIE_NAME="pos_office",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=app.config["POS_OFFICE_SECURE_COOKIE"],
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=app.config["POS_OFFICE_SESSION_HOURS"]),
        # Only the office's forms are checked (in before_request below): the API's callers send bearer
        # tokens, not cookies, so a forged cross-site request has nothing to ride on there.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=app.config["POS_OFFICE_SESSION_HOURS"] * 3600,
    )
    csrf.init_app(app)
    from pos.office import (audit, catalogue, channels, coupons, customers, fleet, giftcards,  # noqa: F401
                            journeys, loyalty, quarantine, sales, session, staff, stock)  # (routes on bp)
    app.register_blueprint(bp)
    app.add_url_rule("/admin", "office_alias", lambda: redirect(url_for("office.home")))


@bp.before_request
def _protect_forms():
    if request.method == "POST":
        csrf.protect()


@bp.after_request
def _private(response):
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
    lang = request.args.get("lang", "").lower()
    if lang in LANGUAGES:  # the chosen language sticks for this browser, as on the till
        response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="Lax",
                            secure=current_app.config["POS_OFFICE_SECURE_COOKIE"])
    return response


@bp.errorhandler(CSRFError)
def _csrf_refused(_error):
    message = gettext("The form was out of date or not sent from this page. Reload the page and try again.")
    return render_template("office/error.html", message=message), 400


@bp.app_template_filter("office_when")
def _when(moment) -> str:
    """A moment in the shop's time zone, written the way the reader's language writes dates."""
    if moment is None:
        return "—"
    from zoneinfo import ZoneInfo

    from babel.dates import format_datetime
    from flask_babel import get_locale

    if isinstance(moment, str):  # as the services' JSON gives it
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    zone = ZoneInfo(current_app.extensions["pos.settings"].country.timezone)
    return format_datetime(moment, "short", tzinfo=zone, locale=get_locale())


@bp.app_template_filter("office_quantity")
def _quantity(value: int, unit: str = "pcs") -> str:
    """Pieces as they are; weighed goods kept in grams are shown in kilograms."""
    from babel.numbers import format_decimal
    from flask_babel import get_locale

    if value is None:
        return "—"
    if unit == "kg":
        return format_decimal(value / 1000, format="#,##0.000", locale=get_locale()) + " kg"
    return format_decimal(value, locale=get_locale())


@bp.app_context_processor
def _office_globals():
    from flask import g

    from flask_babel import get_locale

    return {"office_languages": LANGUAGES, "office_locale": str(get_locale()), "office_role": current_app.config["POS_ROLE"],
            "office_staff": getattr(g, "staff", None)}


@bp.app_template_filter("office_iso")
def _iso(text: str | None) -> str:
    """A moment given as ISO text (the services' JSON) in the reader's format."""
    return _when(dt.datetime.fromisoformat(text)) if text else "—"


@bp.app_template_filter("office_money")
def _money(amount: int | None, currency: str) -> str:
    """Integer minor units written as the reader's language writes that currency (1 234,50 zł)."""
    from babel.numbers import format_currency, get_currency_precision
    from flask_babel import get_locale

    if amount is None:
        return "—"
    from decimal import Decimal

    return format_currency(Decimal(amount).scaleb(-get_currency_precision(currency)), currency,
                           locale=get_locale())


@bp.app_template_filter("office_day")
def _day(day) -> str:
    """A day (a date or ISO text) the way the reader's language writes it."""
    from babel.dates import format_date
    from flask_babel import get_locale

    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return format_date(day, "medium", locale=get_locale())
