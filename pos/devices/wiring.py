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

    @app.after_request
    def _show_scanned_item(response):
        if request.endpoint == "sales.add_line" and response.status_code == 201:
            _display_basket(hub, response)
        return response

    return hub


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
