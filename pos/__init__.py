"""The app factory: the only place that composes areas, devices and sync into one node."""
from __future__ import annotations

import os

from flask import json
from flask_openapi3 import Info, OpenAPI

__version__ = "0.1.0"


def _keep_printer_profiles() -> None:
    """python-escpos parses its printer-profile file (seconds of YAML) at import and caches it in a new
    temporary folder each time, i.e. never; one folder per user lets every start after the first read the cache."""
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), f"pos-escpos-profiles-{os.getuid()}")
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", folder)


def create_app(test_config: dict | None = None) -> OpenAPI:
    _keep_printer_profiles()
    from pos.catalogue.barcodes import parse_layouts
    from pos.config import load_config
    from pos.countries import country
    from pos.db import Database
    from pos.http import SECURITY_SCHEMES
    from pos.problems import validation_problem
    from pos.staff.services import PinPolicy
    from pos.till import Settings

    app = OpenAPI(
        __name__,
        instance_relative_config=True,
        info=Info(title="POS store node API", version=__version__),
        security_schemes=SECURITY_SCHEMES,
        validation_error_status=422,
        validation_error_callback=validation_problem,
        doc_prefix="/api/v1/docs",
    )
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(load_config(app.instance_path))
    if test_config:
        app.config.update(test_config)
    app.config["MAX_CONTENT_LENGTH"] = app.config["POS_MAX_BODY_BYTES"]
    # /api/v1/docs (Swagger UI, served from the installed package) shows the whole document, not its draft
    app.config.setdefault("SWAGGER_CONFIG", {"url": "/api/v1/openapi.json"})

    country_rules = country(app.config["POS_COUNTRY"])
    app.extensions["pos.settings"] = Settings(
        country=country_rules,
        embedded_layouts=parse_layouts(app.config["POS_EMBEDDED_CODES"]),
        discount_limit_percent=app.config["POS_DISCOUNT_LIMIT_PERCENT"],
        pin_policy=PinPolicy(app.config["POS_PIN_ATTEMPTS"], app.config["POS_PIN_LOCK_SECONDS"]),
    )
    app.extensions["pos.db"] = Database(app.config["POS_DATABASE_URL"])
    # Composition: the store's tables and sync's share one schema; only the factory gathers both.
    import pos.models  # noqa: F401
    import sync.models  # noqa: F401

    from pos import health
    from pos.catalogue.api import api as catalogue_api
    from pos.returns.api import api as returns_api
    from pos.sales.api import api as sales_api
    from pos.shifts.api import api as shifts_api
    from pos.staff.api import api as staff_api

    for blueprint in (health.api, staff_api, catalogue_api, sales_api, returns_api, shifts_api):
        app.register_api(blueprint)

    from pos.customers.api import api as customers_api
    from pos.stores.api import api as stores_api
    app.register_api(customers_api)
    from pos.coupons.api import api as coupons_api
    app.register_api(coupons_api)  # a coupon on a basket; at HQ, stores' live checks
    app.register_api(stores_api)
    # Loyalty: the programme, balances, points as a tender; the customer's card page; `flask loyalty …`.
    from pos.loyalty.api import api as loyalty_api
    from pos.loyalty.cli import loyalty_cli
    from pos.loyalty.views import bp as loyalty_pages
    app.register_api(loyalty_api)
    app.register_blueprint(loyalty_pages)
    app.cli.add_command(loyalty_cli)
    from pos.giftcards.api import api as giftcards_api
    from pos.giftcards.cli import giftcards_cli
    app.register_api(giftcards_api)  # gift cards: the till, stores asking HQ, managers
    app.cli.add_command(giftcards_cli)

    from pos.terminal.i18n import init_babel
    from pos.terminal.api import api as till_api
    from pos.terminal.views import bp as terminal_pages
    init_babel(app)  # the terminal's language: ?lang=, then its cookie, then POS_LANGUAGE / POS_COUNTRY
    app.register_blueprint(terminal_pages)
    app.register_api(till_api)  # what the page finds by receipt code, this shift's sales, slip pictures

    from pos.catalogue.cli import catalog_cli
    from pos.demo import demo_cli
    from pos.devices.cli import devices_cli
    app.cli.add_command(catalog_cli)
    from pos.coupons.cli import coupons_cli
    app.cli.add_command(coupons_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(devices_cli)

    # Composition: the worker's jobs are reachable from the CLI, the store's code never imports sync.
    from sync.cli import sync_cli
    app.cli.add_command(sync_cli)
    from pos.stores.cli import stores_cli
    from pos.stores.setup_cli import store_cli
    from pos.staff.cli import staff_cli
    app.cli.add_command(stores_cli)
    app.cli.add_command(store_cli)
    app.cli.add_command(staff_cli)
    # Replication endpoints: HQ applies what stores push; every node reports its own sync state.
    from sync.replication.hello_api import api as sync_hello_api
    from sync.replication.hq_api import api as sync_hq_api
    from sync.replication.status_api import api as sync_status_api
    from sync.quarantine.api import api as quarantine_api
    from sync.quarantine.cli import quarantine_cli
    from sync.promises.api import api as promises_api
    from sync.promises.cli import promises_cli
    if app.config["POS_ROLE"] == "hq":
        app.register_api(sync_hq_api)
        app.register_api(sync_hello_api)
        app.register_api(quarantine_api)  # refused store changes: list, show, replay, discard
        app.register_api(promises_api)  # promise conflicts: list, show, apply the proposal, dismiss
    app.cli.add_command(quarantine_cli)
    app.cli.add_command(promises_cli)
    app.register_api(sync_status_api)

    # Stock: staff documents and levels from pos; the web-shop sync API and webhooks composed from sync.
    from pos.stock.api import api as stock_api
    from pos.stock.cli import stock_cli
    from pos.stock.views import bp as stock_pages
    app.register_api(stock_api)
    app.register_blueprint(stock_pages)
    app.cli.add_command(stock_cli)
    from sync.webshop.composition import register_webshop
    register_webshop(app)
    from sync.journeys.composition import register_journeys
    register_journeys(app)  # journeys: cart events, survey and unsubscribe pages

    # Store devices: the receipt/fiscal queue after each committed sale, drawer, display, scanners.
    # POS_ALLOW_REAL_DEVICES=false (tests) lets only emulator:// URLs open.
    from pos.devices.wiring import install as install_devices
    install_devices(app)

    # Dispatch: couriers, deliveries, planning; the courier's phone page and calendar, the manager's week.
    from pos.dispatch.api import api as dispatch_api
    from pos.dispatch.views import bp as dispatch_pages
    app.register_api(dispatch_api)
    app.register_blueprint(dispatch_pages)

    # /metrics: the node's own figures; at HQ and standalone also sync's (freshness, channels, incidents).
    from pos import metrics
    metrics.install(app)
    if app.config["POS_ROLE"] in ("hq", "standalone"):
        from sync.metrics import sync_figures
        metrics.add_collector(app, sync_figures)

    # The back office: managers' pages (HQ and standalone see every store; a store node shows its own part).
    from pos.office.web import install as install_office
    install_office(app)

    # Marketplaces (HQ): listings, the channels' status and oversell incidents; `flask channels …`.
    from sync.channels.api import api as channels_api
    from sync.channels.cli import channels_cli
    app.register_api(channels_api)
    app.cli.add_command(channels_cli)
    # HQ's task engine (Procrastinate): `flask jobs …` everywhere (it says where there is none), the API at HQ.
    from sync.engine.cli import jobs_cli
    app.cli.add_command(jobs_cli)
    if app.config["POS_ROLE"] == "hq":
        from sync.engine.api import api as jobs_api
        app.register_api(jobs_api)
        from sync.engine.health import engine_check
        app.extensions.setdefault("pos.readiness", {})["engine"] = engine_check(app)

    from pos.openapi_doc import complete_document
    completed: dict = {}

    def openapi_document():
        if "document" not in completed:  # every route is registered by the time anyone asks
            completed["document"] = complete_document(app.api_doc)
        return completed["document"]

    # add_url_rule, not app.get: the document does not describe itself
    app.add_url_rule("/api/v1/openapi.json", "openapi_document", openapi_document)

    from pos.http import install as install_request_limits
    install_request_limits(app)  # body and parameter limits, auth before validation, shared refusals

    @app.teardown_appcontext
    def _noop(_exc):  # sessions are closed by each unit of work; nothing request-scoped to clean
        return None

    app.json.ensure_ascii = False
    json.provider.DefaultJSONProvider.ensure_ascii = False
    return app
