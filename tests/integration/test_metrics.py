"""/metrics: Prometheus text read from the database, for loopback scrapers or a bearer token."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_test_app
from tests.integration.test_returns_and_shifts import sell


def scrape(client, **kw) -> dict:
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/plain"
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.get_data(as_text=True))
            for sample in family.samples}


def test_a_sale_counts_in_the_sales_figures_and_the_fiscal_queue(app, client, till):
    before = scrape(client)
    sale = sell(till, [("SKU-000012", 2)])
    after = scrape(client)

    key = (("currency", "PLN"), ("location", "S1"))
    assert after[("pos_sales_total", key)] == before.get(("pos_sales_total", key), 0) + 1
    assert after[("pos_sales_amount_minor_total", key)] == (
        before.get(("pos_sales_amount_minor_total", key), 0) + sale["total"])
    fiscal = sum(value for (name, _), value in after.items() if name == "pos_fiscal_records")
    assert fiscal == sum(value for (name, _), value in before.items() if name == "pos_fiscal_records") + 1
    assert after[("pos_change_feed_seq", ())] > before[("pos_change_feed_seq", ())]


def test_standalone_shows_channels_freshness_and_incidents(app, client):
    from sync.channels.models import ChannelState
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.add(ChannelState(channel="allegro", feed_seq=0, push_failures=3, pushed_total=12,
                                     orders_total=4, consecutive_failures=0))
        uow.commit()
    figures = scrape(client)
    allegro = (("channel", "allegro"),)
    assert figures[("pos_channel_push_failures", allegro)] == 3
    assert figures[("pos_channel_pushed_total", allegro)] == 12
    assert figures[("pos_channel_orders_total", allegro)] == 4
    assert figures[("pos_channel_push_lag", allegro)] == 0
    assert figures[("pos_open_incidents", (("kind", "channel"),))] == 0
    assert figures[("pos_open_incidents", (("kind", "quarantine"),))] == 0
    assert figures[("pos_open_incidents", (("kind", "promise_conflict"),))] == 0
    assert any(name == "pos_store_freshness_seconds" for name, _ in figures)


def test_a_scraper_elsewhere_needs_the_token(database_url, tmp_path, pin_hashes):
    open_app = make_test_app(database_url, tmp_path)
    try:
        remote = {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}
        assert open_app.test_client().get("/metrics", **remote).status_code == 403
        assert open_app.test_client().get("/metrics").status_code == 200  # loopback
    finally:
        open_app.extensions["pos.db"].dispose()

    guarded = make_test_app(database_url, tmp_path, POS_METRICS_TOKEN="scrape-me")
    try:
        client = guarded.test_client()
        assert client.get("/metrics").status_code == 401  # loopback too, once a token is set
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **remote).status_code == 401
        scrape(client, headers={"Authorization": "Bearer scrape-me"}, **remote)
    finally:
        guarded.extensions["pos.db"].dispose()
