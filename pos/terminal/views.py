"""The cashier's page: one HTML page; everything it does goes through the JSON API."""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import get_locale, gettext

from pos.loyalty.strings import loyalty_strings
from pos.coupons.strings import coupon_strings
from pos.terminal.day_strings import day_strings
from pos.terminal.giftcard_strings import giftcard_problems, giftcard_strings
from pos.terminal.faults import fault_strings
from pos.terminal.i18n import COOKIE, LANGUAGES, default_language

bp = Blueprint("terminal", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/terminal")

# A keyboard-wedge scanner types faster than any person: keys closer than this are one scan
# (POS_SCAN_GAP_MS overrides it, e.g. for a slow scanner or a loaded test machine).
SCAN_GAP_MS = 50
LANGUAGE_NAMES = {"pl": "Polski", "cs": "Čeština", "uk": "Українська", "en": "English"}


def script_strings() -> dict:
    """What the script says, translated here so the catalogues hold every string of the page.

    ``{name}`` marks a value the script fills in."""
    return {
        "unknown_code": gettext("Unknown code {code}"),
        "login_locked": gettext("Too many wrong PINs: this login is locked for {seconds} s. "
                                "Try again then, or ask a manager."),
        "offline": gettext("No connection to the server. Nothing was lost; try again."),
        "login_again": gettext("Your login has expired. Log in again."),
        "basket_parked": gettext("Basket parked."),
        "basket_resumed": gettext("Basket resumed."),
        "no_line": gettext("Select a line first (arrow keys)."),
        "empty_basket": gettext("The basket is empty: scan an item first."),
        "bad_amount": gettext("Type an amount like 12,30"),
        "bad_quantity": gettext("Type a quantity like 2 or 0,350 kg"),
        "no_parked": gettext("No parked baskets."),
        "shift_opened": gettext("Shift opened."),
        "paid": gettext("Paid. Receipt no. {number}"),
        "receipt_no": gettext("Receipt no. {number}"),
        "vat": gettext("VAT"),
        "total": gettext("Total"),
        "change": gettext("Change"),
        "rounding": gettext("Rounding"),
        "discount": gettext("Discount"),
        "card": gettext("Card"),
        "cash": gettext("Cash"),
        "voucher": gettext("Voucher"),
        "transfer": gettext("Transfer"),
        "items": gettext("Lines: {count}"),
        "remaining": gettext("Still to pay"),
        "change_due": gettext("Change due"),
        "shift_since": gettext("shift since"),
        "manager_needed": gettext("This discount needs a manager's login and PIN."),
        "devices": gettext("devices"),
        "sync": gettext("sync"),
        "parked_at": gettext("Lines: {count} · {total}"),
        "scanned": gettext("Scanned: {name}"),
        "scanner_refused": gettext("Scanner: {reason}"),
        "fault_title": gettext("Device fault"),
        "fault_resolved": gettext("Fault cleared"),
        "what_to_do": gettext("What to do"),
        "retrying": gettext("Sending to the fiscal printer…"),
        "reprinting": gettext("Printing…"),
        "still_failing": gettext("Still not done: see what to do above."),
        "fiscal_confirmed": gettext("Fiscal receipt confirmed: no. {number}"),
        "reprinted": gettext("Receipt printed."),
        "device_names": {"fiscal": gettext("fiscal printer"), "printer": gettext("receipt printer"),
                         "display": gettext("customer display"), "scanner": gettext("scanner"),
                         "scale": gettext("scale")},
        "device_states": {"closed": gettext("off"), "idle": gettext("ready"), "busy": gettext("busy"),
                          "error": gettext("fault")},
        "fiscal_waiting": gettext("receipts waiting for the fiscal printer: {count}"),
        "no_devices": gettext("none set up"),
        "sync_alone": gettext("this node works alone (no head office)"),
        "sync_in_step": gettext("everything sent to head office"),
        "sync_waiting": gettext("{count} changes waiting to be sent"),
        "sync_unreachable": gettext("head office not reachable; sales are kept and sent later"),
        "sync_refused": gettext("{count} changes refused by head office: tell the manager"),
        **fault_strings(),
        **day_strings(),
        "loyalty": loyalty_strings(),
        **giftcard_strings(),
        **coupon_strings(),
    }


@bp.get("/")
def cashier_page():
    language = str(get_locale() or default_language(current_app.config))
    response = make_response(render_template(
        "terminal/index.html", language=language, languages=LANGUAGE_NAMES, strings=script_strings(),
        page_config={"language": language, "languages": list(LANGUAGES), "scanGapMs": int(current_app.config.get("POS_SCAN_GAP_MS") or SCAN_GAP_MS),
                     "cookie": COOKIE}))
    chosen = (request.args.get("lang") or "").lower()
    if chosen in LANGUAGES:
        # The terminal keeps its language across reloads without the query.
        response.set_cookie(COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response
