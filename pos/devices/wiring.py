"""How the app factory plugs the devices in: one call, nothing opened until the web process serves."""
from __future__ import annotations

import logging

from flask import Response, current_app, json, request

from pos.devices.hub import DeviceHub

log = logging.getLogger("pos.devices")


def install(app) -> DeviceHub:
    from pos.devices.api import api
    from pos.devices.scanning import add_scan

    hub = DeviceHub(app.extensions["pos.db"], app.config, app.extensions["pos.settings"])
    hub.scan_handler = add_scan
    app.extensions["pos.devices"] = hub
    app.register_api(api)
    # Start-up (settle the fiscal queue, open printers, start serial scanners) belongs to the serving
    # process only: the worker and the CLI build the same app and must never open a device.  Tests
    # start it themselves (hub.start_once(background=False)) unless POS_DEVICE_STARTUP asks for it.
    starts = app.config["POS_ROLE"] in ("store", "standalone") and (
        app.config.get("POS_DEVICE_STARTUP", not app.testing))

    @app.before_request
    def _start_devices():
        if starts:
            hub.start_once()

    @app.before_request
    def _refuse_what_the_fiscal_printer_would():
        if request.endpoint == "sales.checkout" and request.view_args:
            check_before_payment(hub, request.view_args.get("basket_id"))

    @app.before_request
    def _fiscal_limits_before_checkout():
        if request.endpoint in FISCAL_DOCUMENT_ENDPOINTS:
            return _refuse_if_fiscal_sales_stopped(hub)
        return None

    @app.after_request
    def _fiscalise_return(response):
        if request.endpoint in ("returns.create_return", "returns.void_sale") and response.status_code == 201:
            return _hand_over_return(hub, response)
        return response

    @app.after_request
    def _show_scanned_item(response):
        if request.endpoint == "sales.add_line" and response.status_code == 201:
            _display_basket(hub, response)
        return response

    return hub


def check_before_payment(hub: DeviceHub, basket_id) -> None:
    """Refuse to take payment for a basket the till's fiscal printer would certainly refuse (an amount
    above its maximum, a name with nothing printable): a paid sale must never be left stuck.  Only a
    printer already opened is asked, and it answers from what it knows (no command is sent)."""
    import uuid

    from hardware.device import DeviceError
    from pos.devices.documents import fiscal_receipt, only_gift_cards
    from pos.http import till_for
    from pos.problems import ApiProblem
    from pos.sales.baskets import load_basket, priced

    if not any(station.devices.get("fiscal") for station in list(hub.stations.values())):
        return  # no fiscal printer is open in this process: nothing to ask, no query spent
    try:
        with hub.db.unit_of_work(read_only=True) as uow:
            till = till_for(uow.session)
            basket = load_basket(uow.session, till, uuid.UUID(str(basket_id)), statuses=("open",))
            priced_lines, totals = priced(basket, till.vat_rates)
            terminal = till.terminal
    except (ApiProblem, ValueError):
        return  # the checkout itself answers (unknown basket, a replay, no login …)
    printer = hub.station(terminal).devices.get("fiscal")
    if printer is None or not basket.lines or not getattr(printer, "fiscal", True):
        return
    draft = {"id": str(basket.id), "currency": basket.currency, "total": totals.total, "payments": [],
             "lines": [{"name": line.name, "sku": line.sku, "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
                        "gross": p.gross, "discount": p.discount, "amount": p.amount, "vat_group": line.vat_group}
                       for line, p in zip(basket.lines, priced_lines)]}
    if only_gift_cards(draft):
        return  # nothing of it goes to the fiscal printer
    try:
        refusal = printer.refusal(fiscal_receipt(draft, "", [p.line_discount + p.coupon_discount for p in priced_lines]))
    except DeviceError as error:
        refusal = error
    if refusal is not None:
        raise ApiProblem(422, "fiscal-printer-would-refuse", f"basket_id: {refusal.message} {refusal.action}",
                         field="basket_id", title="The fiscal printer would refuse this sale",
                         device_fault=refusal.as_dict())


def _display_basket(hub: DeviceHub, response) -> None:
    """After a line is added (and committed): the item and the running total on the customer display."""
    from pos.devices.api import current_till
    from pos.devices.services import show_item_and_total, show_on_display

    try:
        basket = response.get_json()
        station = hub.station(current_till().terminal)
        if station.configured("display"):
            show_on_display(station, lambda display: show_item_and_total(display, basket))
    except Exception:  # a courtesy to the customer: never worth a failed scan
        log.exception("updating the customer display failed")


# what makes a fiscal document: refused before anything is written once a PRRO's offline limit is reached
FISCAL_DOCUMENT_ENDPOINTS = ("sales.checkout", "returns.create_return", "returns.void_sale")


def _hand_over_return(hub: DeviceHub, response: Response) -> Response:
    """A committed return on a PRRO: its own RETURN receipt (the answer gains ``fiscal``; the return stands)."""
    from pos.devices.api import current_till
    from pos.devices.prro import fiscalise_return, records_returns

    body = response.get_json()
    try:
        till = current_till()
        station = hub.station(till.terminal)
        if not records_returns(station):
            return response
        body["fiscal"] = fiscalise_return(hub.db, station, body, till.terminal.id)
    except Exception:  # the refund is committed; a driver bug must not turn it into an error page
        log.exception("fiscalising return %s failed", body.get("id"))
        body["fiscal"] = {"fiscal_status": "pending", "fiscal_number": None, "check_url": None,
                          "device_fault": {"code": "device_software", "message": "The till could not reach the PRRO.",
                                           "action": "Retry the return's fiscal receipt; call support if it repeats."}}
    return Response(json.dumps(body), status=response.status_code, mimetype="application/json")


def allowance_notice(allowance: dict | None) -> dict | None:
    """The cashier's words for a PRRO near or at its offline limit (None when there is nothing to say)."""
    from flask_babel import gettext

    if not allowance or allowance["state"] not in ("warning", "refused"):
        return None
    if allowance["state"] == "refused":
        if allowance["limit"] == "month":
            message = gettext("The till has used the 168 offline hours the law allows this calendar month. "
                              "Fiscal sales are stopped: restore the internet connection, then sell again.")
        else:
            message = gettext("The till has been offline for 36 hours, the law's limit for one offline session. "
                              "Fiscal sales are stopped: restore the internet connection, then sell again.")
    else:
        left = allowance["month_hours_left" if allowance["limit"] == "month" else "session_hours_left"]
        message = gettext("The till is offline: %(hours)s h left before the law's offline limit stops fiscal "
                          "sales. Restore the internet connection soon.", hours=f"{left:g}")
    return {"state": allowance["state"], "limit": allowance["limit"], "message": message}


def _refuse_if_fiscal_sales_stopped(hub: DeviceHub):
    from flask_babel import gettext

    from pos.devices.api import current_till
    from pos.devices.prro import FiscalSalesStopped, check_before_sale
    from pos.problems import ApiProblem, problem_response

    try:
        station = hub.station(current_till().terminal)
    except Exception:  # not logged in or no till: the view answers that itself
        return None
    try:
        check_before_sale(station)
    except FiscalSalesStopped as stopped:
        notice = allowance_notice(stopped.allowance)
        return problem_response(ApiProblem(409, "fiscal-sales-stopped", notice["message"],
                                           title=gettext("Fiscal sales stopped"), offline=stopped.allowance))
    return None


def hand_over_sale(response: Response) -> Response:
    """The checkout view's answer, after its transaction committed: fiscalise, print, drawer, display.

    The sale is already safe; whatever the devices do, the answer stays 201 (with ``device_fault``)."""
    if response.status_code != 201:
        return response  # a replayed checkout (200) was handed over the first time
    hub = current_app.extensions["pos.devices"]
    sale = response.get_json()
    try:
        from pos.devices.services import after_checkout
        import uuid

        # The till that sold it (the basket was claimed for this terminal): known to this request already.
        from pos.devices.api import current_till

        terminal = current_till().terminal
        station = (hub.station(terminal) if terminal.code == sale["terminal"]
                   else hub.station_for(_terminal_id(hub, uuid.UUID(sale["id"]))))
        sale = after_checkout(hub.db, station, sale, hub.timezone)
        from pos.devices.prro import fiscal_allowance

        notice = allowance_notice(fiscal_allowance(station))
        if notice is not None:
            sale["fiscal_warning"] = notice
    except Exception:  # a driver bug must not turn a paid sale into an error page
        log.exception("devices after checkout of sale %s failed", sale.get("id"))
        sale["device_fault"] = {"code": "device_software", "message": "The till could not reach its devices.",
                                "action": "Press Retry on the receipt; call support if it repeats."}
    return Response(json.dumps(sale), status=201, mimetype="application/json")


def _terminal_id(hub: DeviceHub, sale_id):
    from pos.sales.models import Sale

    with hub.db.unit_of_work(read_only=True) as uow:
        return uow.session.get(Sale, sale_id).terminal_id
