"""What sync adds to /metrics (pos.metrics): how fresh each store is at HQ, how far each channel's pushes
lag the availability feed and whether they fail, and the incidents and queues waiting for someone."""
from __future__ import annotations

from typing import Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import text

from pos.db import utcnow
from pos.metrics import seconds_since

# A channel further behind than this is simply "far behind": counting every row would make a scrape slow.
LAG_COUNT_CAP = 100_000

QUEUES = (  # table, metric, what waits there
    ("webhook_delivery", "pos_webhook_deliveries", "Webhook deliveries by status"),
    ("journey_outbox", "pos_journey_messages", "Journey messages (mail, text) by status"),
)
INCIDENTS = (  # table, kind label, the status that means a person must act
    ("channel_incident", "channel", "open"),
    ("quarantined_change", "quarantine", "held"),
    ("promise_conflict", "promise_conflict", "open"),
)


def sync_figures(connection) -> Iterable[Metric]:
    now = utcnow()
    freshness = GaugeMetricFamily(
        "pos_store_freshness_seconds",
        "Age of what HQ holds from each store (the newest change that arrived, not the last contact)",
        labels=["store"])
    for code, heard in connection.execute(text(
            "SELECT code, last_heard_at FROM location WHERE kind = 'store' ORDER BY code")):
        freshness.add_metric([code], seconds_since(heard, now))
    yield freshness

    lag = GaugeMetricFamily("pos_channel_push_lag", "Availability changes a channel has not been sent yet",
                            labels=["channel"])
    failures = GaugeMetricFamily("pos_channel_push_failures", "Consecutive failed pushes", labels=["channel"])
    pushed = CounterMetricFamily("pos_channel_pushed", "Quantities pushed to the channel", labels=["channel"])
    orders = CounterMetricFamily("pos_channel_orders", "Orders imported from the channel", labels=["channel"])
    push_age = GaugeMetricFamily("pos_channel_last_push_age_seconds", "Seconds since the last push",
                                 labels=["channel"])
    for channel, feed_seq, push_failures, pushed_total, orders_total, last_push in connection.execute(text(
            "SELECT channel, feed_seq, push_failures, pushed_total, orders_total, last_push_at "
            "FROM channel_state ORDER BY channel")):
        behind = connection.execute(text(
            "SELECT count(*) FROM (SELECT 1 FROM availability_change WHERE channel = :channel AND seq > :seq "
            "LIMIT :cap) AS waiting"), {"channel": channel, "seq": feed_seq, "cap": LAG_COUNT_CAP}).scalar_one()
        lag.add_metric([channel], behind)
        failures.add_metric([channel], push_failures or 0)
        pushed.add_metric([channel], pushed_total or 0)
        orders.add_metric([channel], orders_total or 0)
        push_age.add_metric([channel], seconds_since(last_push, now))
    yield from (lag, failures, pushed, orders, push_age)

    for table, name, description in QUEUES:
        family = GaugeMetricFamily(name, description, labels=["status"])
        for status, count in connection.execute(text(f"SELECT status, count(*) FROM {table} GROUP BY status")):
            family.add_metric([status], count)
        yield family

    incidents = GaugeMetricFamily("pos_open_incidents", "Incidents waiting for a person's decision",
                                  labels=["kind"])
    for table, kind, status in INCIDENTS:
        count = connection.execute(text(f"SELECT count(*) FROM {table} WHERE status = :status"),
                                   {"status": status}).scalar_one()
        incidents.add_metric([kind], count)
    yield incidents
