"""Marketplace orders at HQ: imported once, reserved and committed, the buyer's profile found or made,
the order on the timeline, subscribers told; an order for pieces no longer there becomes an incident."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.customers.models import Customer, CustomerEvent
from pos.stock.models import Reservation, StockLevel
from pos.stock.services import record_movements
from pos.stores.models import Location
from sync.channels.models import ChannelState, MarketplaceOrder
from sync.channels.orders import pull_round
from sync.channels.push import push_round
from sync.webhooks.models import WebhookDelivery
from tests.integration.channels.conftest import listing_ids, set_on_hand, sku
from tests.integration.stock.conftest import Shop, make_key


def count(app, statement) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(statement)


def order_everywhere(fakes, n: int, quantity: int) -> dict:
    ids = listing_ids(n)
    return {"allegro": fakes.allegro.add_order([(ids["allegro"], quantity, "19.99", "PLN")]),
            "amazon": fakes.amazon.add_order([(ids["amazon"], quantity, "19.99", "PLN")]),
            "ebay": fakes.ebay.add_order([(ids["ebay"], quantity, "4.99", "EUR")], buyer_email="petr@example.cz"),
            "shopify": fakes.shopify.add_order([(sku(n), ids["shopify"], quantity, "19.99")])}


def committed(app, n: int) -> int:
    return count(app, select(func.sum(StockLevel.committed)).join(Product, Product.id == StockLevel.product_id)
                 .where(Product.sku == sku(n)))


def subscribe(app, events) -> None:
    shop = Shop(app.test_client(), make_key(app))
    answer = shop.post("/api/v1/webhooks/subscriptions",
                       {"url": "http://127.0.0.1:9/hook", "events": events, "secret": "s" * 32})
    assert answer.status_code == 201, answer.get_json()


def deliveries(app, event: str) -> list[dict]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return [d.payload["data"] for d in uow.session.scalars(select(WebhookDelivery)
                                                               .where(WebhookDelivery.event == event))]


def test_orders_are_imported_once_despite_duplicated_events_and_repulls(hq, fakes):
    for fake in fakes.by_channel.values():
        fake.duplicate_order_events = True
    placed = order_everywhere(fakes, 0, 2)
    first = {r["channel"]: r["orders"] for r in pull_round(hq)}
    assert first == {c: {"reserved": 1} for c in placed}
    pull_round(hq)  # again from the stored cursors (inclusive windows see the boundary order again)
    with hq.extensions["pos.db"].unit_of_work() as uow:  # and once more from the very start
        for state in uow.session.scalars(select(ChannelState)):
            state.order_cursor = None
        uow.commit()
    again = {r["channel"]: r["orders"] for r in pull_round(hq)}
    # Amazon leaves out orders imported unchanged before (their items are never read again).
    assert again == {c: {"duplicate": 1} if c != "amazon" else {} for c in placed}
    assert count(hq, select(func.count()).select_from(MarketplaceOrder)) == 4
    imported = count(hq, select(func.count()).select_from(Reservation).where(Reservation.status == "committed"))
    assert imported == 4
    assert committed(hq, 0) == 8
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        pairs = {(o.channel, o.channel_order_id, o.status) for o in uow.session.scalars(select(MarketplaceOrder))}
    assert pairs == {(c, order_id, "reserved") for c, order_id in placed.items()}


def test_the_buyer_is_matched_or_created_and_the_order_lands_on_the_timeline(hq, fakes):
    from pos.customers.services import create

    subscribe(hq, ["customer.purchased"])
    with hq.extensions["pos.db"].unit_of_work() as uow:
        known, _ = create(uow.session, {"name": "Jan Kowalski", "email": "kupujacy@example.com"}, origin="store:S1")
        uow.commit()
    ids = listing_ids(1)
    allegro_order = fakes.allegro.add_order([(ids["allegro"], 1, "25.50", "PLN")])  # the known buyer's e-mail
    ebay_order = fakes.ebay.add_order([(ids["ebay"], 3, "5.00", "EUR")], buyer_email="Nowy.Klient@Example.CZ",
                                      phone="+420601234567")
    pull_round(hq)
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        orders = {o.channel: o for o in uow.session.scalars(select(MarketplaceOrder))}
        assert orders["allegro"].customer_id == known.id
        newcomer = uow.session.get(Customer, orders["ebay"].customer_id)
        assert (newcomer.email, newcomer.phone, newcomer.origin) == ("nowy.klient@example.cz", "+420601234567", "ebay")
        timeline = {(e.customer_id, e.channel, e.kind, e.reference): e.details
                    for e in uow.session.scalars(select(CustomerEvent).where(CustomerEvent.kind == "order"))}
    details = timeline[(known.id, "allegro", "order", allegro_order)]
    assert (details["total"], details["currency"], details["status"]) == (2550, "PLN", "reserved")
    assert details["lines"] == [{"sku": sku(1), "quantity": 1}]
    assert timeline[(newcomer.id, "ebay", "order", ebay_order)]["total"] == 1500
    told = {d["order_id"]: d for d in deliveries(hq, "customer.purchased")}
    assert told[allegro_order]["customer"]["id"] == str(known.id)
    assert told[ebay_order]["customer"]["email"] == "nowy.klient@example.cz"


def _stale_store_with(app, sku_code: str, pieces: int) -> None:
    """Store S2 has the pieces, but has not synced for an hour: online channels do not count on it."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        store = Location(code="S2", name="Sklep Kraków", kind="store", country="PL", currency="PLN",
                         last_heard_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1))
        uow.session.add(store)
        uow.session.flush()
        product_id = uow.session.scalar(select(Product.id).where(Product.sku == sku_code))
        record_movements(uow.session, store.id, [(product_id, pieces)], "receipt")
        uow.commit()


def test_an_order_for_stock_sold_meanwhile_becomes_an_incident_with_a_suggestion(hq, fakes, manager):
    subscribe(hq, ["stock.oversold"])
    push_round(hq)
    _stale_store_with(hq, sku(2), 5)
    set_on_hand(hq, sku(2), 1)  # S1 sold all but one piece in the window; marketplaces keep one back
    allegro_order = fakes.allegro.add_order([(listing_ids(2)["allegro"], 2, "10.00", "PLN")])
    assert {r["channel"]: r["orders"] for r in pull_round(hq)}["allegro"] == {"oversold": 1}
    assert count(hq, select(func.count()).select_from(Reservation)) == 0
    answer = manager.get("/api/v1/incidents")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["open"] == 1
    incident = body["items"][0]
    assert (incident["kind"], incident["sku"], incident["channel"], incident["channel_order_id"]) == (
        "oversold", sku(2), "allegro", allegro_order)
    assert (incident["requested"], incident["available"]) == (2, 0)
    assert {"channel": "allegro", "quantity": 2, "what": "ordered"} in incident["involved"]
    assert {"channel": "ebay", "quantity": 99, "what": "listed"} in incident["involved"]
    assert incident["suggestion"]["action"] == "fulfil-from"
    assert (incident["suggestion"]["location"], incident["suggestion"]["spare"]) == ("S2", 5)
    assert "Sklep Kraków" in incident["suggestion"]["text"]
    assert [d["id"] for d in deliveries(hq, "stock.oversold")] == [incident["id"]]
    status = manager.get("/api/v1/channels/status").get_json()
    assert status["open_incidents"] == 1
    # Nowhere has three more: the suggestion is to cancel.
    fakes.ebay.add_order([(listing_ids(2)["ebay"], 9, "3.00", "EUR")])
    pull_round(hq)
    items = manager.get("/api/v1/incidents").get_json()["items"]
    cancel = next(i for i in items if i["channel"] == "ebay")
    assert cancel["suggestion"]["action"] == "cancel" and cancel["requested"] == 9
    resolved = manager.post(f"/api/v1/incidents/{incident['id']}/resolve", json={"note": "sent from Kraków"})
    assert resolved.status_code == 200 and resolved.get_json()["status"] == "resolved"
    assert manager.get("/api/v1/channels/status").get_json()["open_incidents"] == 1


def test_an_order_for_an_unmapped_listing_is_kept_and_raised(hq, fakes, manager):
    fakes.amazon.add_listing("AMZ-UNMAPPED", 3)
    order_id = fakes.amazon.add_order([("AMZ-UNMAPPED", 1, "9.99", "PLN")])
    assert {r["channel"]: r["orders"] for r in pull_round(hq)}["amazon"] == {"unmatched": 1}
    items = manager.get("/api/v1/incidents").get_json()["items"]
    assert [(i["kind"], i["channel_order_id"], i["suggestion"]["action"]) for i in items] == [
        ("unknown-listing", order_id, "map-listing")]


def test_a_failed_pull_backs_off_and_the_next_one_imports(hq, fakes):
    fakes.shopify.faults.fail(50, status=502)
    order_id = fakes.shopify.add_order([(sku(0), listing_ids(0)["shopify"], 1, "19.99")])
    results = {r["channel"]: r for r in pull_round(hq)}
    assert results["shopify"]["error"] == "ChannelUnavailable"
    fakes.shopify.faults.clear()
    with hq.extensions["pos.db"].unit_of_work() as uow:
        state = uow.session.get(ChannelState, "shopify")
        assert state.backoff_until is not None and "ChannelUnavailable" in state.last_error
        state.backoff_until = None
        uow.commit()
    assert {r["channel"]: r for r in pull_round(hq)}["shopify"]["orders"] == {"reserved": 1}
    assert count(hq, select(MarketplaceOrder.channel_order_id).where(MarketplaceOrder.channel == "shopify")) == order_id
