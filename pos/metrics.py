"""Prometheus metrics at /metrics, read from the database at each scrape.

Every figure is a query over rows the node keeps anyway (sales, the fiscal queue, the change feed and its
push cursor), so any number of web processes answer the same thing and nothing is kept per process; the
one exception is the state of the devices, which live in the serving process that drives them.  Areas
the store's code must not import (sync's channels, stores' freshness at HQ, incidents) add their own
collectors through :func:`add_collector`, called by the app factory.

Who may read it: loopback only, unless ``POS_METRICS_TOKEN`` is set; then a scraper anywhere sends it
as a bearer token.  Figures carry store codes and counts, never a customer's data or a secret."""
from __future__ import annotations

import datetime as dt
import hmac
from typing import Callable, Iterable

from flask import Blueprint, Response, current_app, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import text

from pos.db import utcnow

Reader = Callable[[object], Iterable[Metric]]  # a connection in, metric families out

bp = Blueprint("metrics", __name__)

FISCAL_STATES = ("pending", "sending", "confirmed", "failed", "not_fiscal")


def seconds_since(moment: dt.datetime | None, now: dt.datetime) -> float:
    if moment is None:
        return float("nan")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (now - moment).total_seconds())


def store_figures(connection) -> Iterable[Metric]:
    """Sales and their money, the fiscal and print queues, and how far the change feed has been pushed."""
    sales = CounterMetricFamily("pos_sales", "Sales committed at this node, by location and currency",
                                labels=["location", "currency"])
    amount = CounterMetricFamily("pos_sales_amount_minor", "Sales totals in minor units (grosze, haléře, копійки)",
                                 labels=["location", "currency"])
    for code, currency, count, total in connection.execute(text(
            "SELECT location.code, sale.currency, count(*), coalesce(sum(sale.total), 0) FROM sale "
            "JOIN location ON location.id = sale.location_id GROUP BY location.code, sale.currency")):
        sales.add_metric([code, currency], count)
        amount.add_metric([code, currency], total)
    yield sales
    yield amount

    for table, name, states in (("fiscal_record", "pos_fiscal_records", FISCAL_STATES),
                                ("fiscal_return_record", "pos_fiscal_return_records", FISCAL_STATES[:4])):
        family = GaugeMetricFamily(name, f"Rows of {table} by status (failed ones wait for a person)",
                                   labels=["status"])
        counts = dict(connection.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status")).all())
        for state in states:
            family.add_metric([state], counts.get(state, 0))
        yield family
    unprinted = GaugeMetricFamily("pos_print_jobs_failed", "Printouts the receipt printer refused, by kind",
                                  labels=["kind"])
    for kind, count in connection.execute(text(
            "SELECT kind, count(*) FROM print_job WHERE NOT printed AND error_code <> '' GROUP BY kind")):
        unprinted.add_metric([kind], count)
    yield unprinted

    newest = connection.execute(text("SELECT coalesce(max(seq), 0) FROM change")).scalar_one()
    push = connection.execute(text(
        "SELECT position, last_success_at FROM sync_cursor WHERE name = 'push'")).first()
    feed = GaugeMetricFamily("pos_change_feed_seq", "The newest change this node recorded")
    feed.add_metric([], newest)
    yield feed
    if push is not None:  # a store: HQ acknowledges its pushes
        unsent = GaugeMetricFamily("pos_sync_unsent_changes", "Changes recorded here that HQ has not acknowledged")
        unsent.add_metric([], max(0, newest - (push.position if push else 0)))
        yield unsent
        age = GaugeMetricFamily("pos_sync_last_push_age_seconds", "Seconds since HQ last acknowledged a push")
        age.add_metric([], seconds_since(push.last_success_at if push else None, utcnow()))
        yield age


def device_figures(app) -> Iterable[Metric]:
    """Each configured device of each till this process drives: 1 for its current state."""
    hub = app.extensions.get("pos.devices")
    family = GaugeMetricFamily("pos_device_state", "1 for the state each till's device is in now",
                               labels=["terminal", "device", "state"])
    if hub is not None:
        for code, station in sorted(list(hub.stations.items())):
            for item in station.status():
                family.add_metric([code, item["name"], item["state"]], 1)
    yield family


class Collector:
    def __init__(self, app):
        self.app = app
        self.readers: list[Reader] = [store_figures]

    def collect(self):
        with self.app.extensions["pos.db"].engine.connect() as connection:
            for reader in self.readers:
                yield from reader(connection)
        yield from device_figures(self.app)


def add_collector(app, reader: Reader) -> None:
    app.extensions["pos.metrics"].readers.append(reader)


def install(app) -> None:
    registry = CollectorRegistry(auto_describe=False)
    collector = Collector(app)
    registry.register(collector)
    app.extensions["pos.metrics"] = collector
    app.extensions["pos.metrics.registry"] = registry
    app.register_blueprint(bp)


@bp.get("/metrics")
def metrics():
    token = current_app.config["POS_METRICS_TOKEN"]
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            return Response("a bearer token is required\n", status=401, mimetype="text/plain",
                            headers={"WWW-Authenticate": "Bearer"})
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        return Response("metrics answer loopback only; set POS_METRICS_TOKEN to scrape from elsewhere\n",
                        status=403, mimetype="text/plain")
    with current_app.app_context():
        body = generate_latest(current_app.extensions["pos.metrics.registry"])
    return Response(body, mimetype="text/plain; version=0.0.4; charset=utf-8")
