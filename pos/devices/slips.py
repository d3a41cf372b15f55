"""Slips for what the cashier does besides selling (shift open/close, cash in/out, Z report, returns),
printed after the request's transaction committed, with the drawer opened where cash moves."""
from __future__ import annotations

import logging

from flask import Response, current_app, json

from pos.devices import services
from pos.devices.documents import figures_rows, slip_document, slip_labels, tender_word

log = logging.getLogger("pos.devices")

CASH_KINDS = ("cash_in", "cash_out")


def _rows(kind: str, body: dict, labels: dict, extra: dict) -> tuple[list[dict], object]:
    if kind == "shift_open":
        return [{"label": labels["opening_float"], "amount": body["opening_float"], "bold": True}], None
    if kind == "shift_close":
        return [{"label": labels["expected_cash"], "amount": body["expected_cash"] or 0},
                {"label": labels["counted_cash"], "amount": body["counted_cash"] or 0},
                {"label": labels["over_short"], "amount": body["over_short"] or 0, "bold": True}], None
    if kind in CASH_KINDS:
        rows = [{"label": labels["amount"], "amount": extra["amount"], "bold": True}]
        if extra.get("reason"):
            rows.append({"label": labels["reason"], "value": extra["reason"]})
        return rows, None
    if kind == "z_report":
        return figures_rows(body, labels), body.get("number")
    if kind == "return":
        rows = [{"label": f"{labels['refunds']} {tender_word(labels, refund['method'])}", "amount": refund["amount"]}
                for refund in body["refunds"]]
        rows.append({"label": labels["return"], "amount": body["total"], "bold": True})
        if body.get("reason"):
            rows.append({"label": labels["reason"], "value": body["reason"]})
        return rows, None
    raise ValueError(f"no slip for {kind!r}")


def print_after(response: Response, kind: str, **extra) -> Response:
    """``response`` is the committed request's answer; a replay (200 for a 201 action) prints nothing.
    A printer fault is added to the answer as ``device_fault``; the action itself stands."""
    if response.status_code not in (200, 201) or (kind == "return" and response.status_code == 200):
        return response
    from pos.devices.api import current_till

    body = response.get_json()
    hub = current_app.extensions["pos.devices"]
    fault = None
    try:
        till = current_till()
        station = hub.station(till.terminal)
        if not station.configured("printer"):
            return response
        language = till.terminal.language or "en"
        rows, number = _rows(kind, body, slip_labels(language), extra)
        slip = slip_document(kind, location=till.location, terminal_code=till.terminal.code,
                             cashier_name=till.cashier.name, language=language, currency=till.location.currency,
                             timezone=hub.timezone, rows=rows, number=number)
        if kind == "return":  # the printer's own titles know no returns
            slip["title"] = slip_labels(language)["return"]
        fault = services.print_slip(hub.db, station, slip, reference=str(body.get("id", "")))
        cash_refund = kind == "return" and any(r["method"] == "cash" for r in body["refunds"])
        if kind in CASH_KINDS or cash_refund:
            fault = services.kick_drawer(station, reason=kind, cashier=till.cashier.login) or fault
    except Exception:  # the action is committed; a slip is never worth an error page
        log.exception("printing the %s slip failed", kind)
        fault = {"code": "device_software", "message": "The slip could not be printed.",
                 "action": "Check the printer; call support if it repeats."}
    if fault is None:
        return response
    return Response(json.dumps({**body, "device_fault": fault}), status=response.status_code,
                    mimetype="application/json")
