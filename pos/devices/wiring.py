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
    from pos.devices.documents import fiscal_receipt
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
             "lines": [{"name": line.name, "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
                        "gross": p.gross, "discount": p.discount, "amount": p.amount, "vat_group": line.vat_group}
                       for line, p in zip(basket.lines, priced_lines)]}
    try:
        refusal = printer.refusal(fiscal_receipt(draft, "", [line.discount for line in basket.lines]))
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

        station = hub.station_for(_terminal_id(hub, uuid.UUID(sale["id"])))
        sale = after_checkout(hub.db, station, sale, hub.timezone)
    except Exception:  # a driver bug must not turn a paid sale into an error page
        log.exception("devices after checkout of sale %s failed", sale.get("id"))
        sale["device_fault"] = {"code": "device_software", "message": "The till could not reach its devices.",
                                "action": "Press Retry on the receipt; call support if it repeats."}
    return Response(json.dumps(sale), status=201, mimetype="application/json")


def _terminal_id(hub: DeviceHub, sale_id):
    from pos.sales.models import Sale

    with hub.db.unit_of_work(read_only=True) as uow:
        return uow.session.get(Sale, sale_id).terminal_id
