"""What happens to a marketplace order after it was bought moves our stock: an order cancelled after import
gives its units back, one that arrives unpaid or cancelled takes none until it is paid (once), a refund is
handled like a store return; re-delivered events never move anything twice. Against the four spec-validating
fakes, on SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import func, select

from pos.catalogue.models import Product
from pos.customers.models import CustomerEvent
from pos.stock.models import Reservation, StockLevel, StockMovement
from sync.channels.models import ChannelIncident, ChannelState, MarketplaceOrder
from sync.channels.orders import pull_channel, pull_round
from sync.channels.push import push_round
from sync.stock import reservations
from tests.integration.channels.conftest import listing_ids, set_on_hand, sku
from tests.integration.channels.test_orders import count, deliveries, subscribe

CHANNELS = ("allegro", "amazon", "ebay", "shopify")


def levels(app, n: int) -> tuple[int, int, int]:
    """(on hand, reserved, committed) of SKU-00000n over all locations."""
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        row = uow.session.execute(select(func.sum(StockLevel.on_hand), func.sum(StockLevel.reserved),
                                         func.sum(StockLevel.committed))
                                  .join(Product, Product.id == StockLevel.product_id)
                                  .where(Product.sku == sku(n))).one()
    return tuple(int(v or 0) for v in row)


def outcomes(app) -> dict:
    """Per channel, what the pull did; orders seen again unchanged (inclusive windows) are left out."""
    return {r["channel"]: {k: n for k, n in r["orders"].items() if k != "duplicate"} for r in pull_round(app)}


def place(fakes, n: int, quantity: int, *, paid: bool = True) -> dict:
    """One order of ``quantity`` × SKU-00000n on every channel, paid or still waiting for payment."""
    ids = listing_ids(n)
    return {
        "allegro": fakes.allegro.add_order([(ids["allegro"], quantity, "19.99", "PLN")],
                                           status="READY_FOR_PROCESSING" if paid else "FILLED_IN",
                                           events=("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING") if paid
                                           else ("BOUGHT", "FILLED_IN")),
        "amazon": fakes.amazon.add_order([(ids["amazon"], quantity, "19.99", "PLN")],
                                         status="Unshipped" if paid else "Pending"),
        "ebay": fakes.ebay.add_order([(ids["ebay"], quantity, "4.99", "EUR")],
                                     payment_status="PAID" if paid else "PENDING"),
        "shopify": fakes.shopify.add_order([(sku(n), ids["shopify"], quantity, "19.99")],
                                           financial_status="PAID" if paid else "PENDING"),
    }


def cancel(fakes, placed: dict) -> None:
    fakes.allegro.change_order(placed["allegro"], "BUYER_CANCELLED", status="CANCELLED")
    fakes.amazon.change_order(placed["amazon"], "Canceled")
    fakes.ebay.change_order(placed["ebay"], cancel_state="CANCELED")
    fakes.shopify.change_order(placed["shopify"], cancelled=True)


def pay(fakes, placed: dict) -> None:
    fakes.allegro.change_order(placed["allegro"], "READY_FOR_PROCESSING", status="READY_FOR_PROCESSING")
    fakes.amazon.change_order(placed["amazon"], "Unshipped")
    fakes.ebay.change_order(placed["ebay"], payment_status="PAID")
    fakes.shopify.change_order(placed["shopify"], financial_status="PAID")


def refund(fakes, placed: dict) -> None:
    fakes.allegro.change_order(placed["allegro"], "FULFILLMENT_STATUS_CHANGED", fulfillment="RETURNED")
    fakes.ebay.change_order(placed["ebay"], payment_status="FULLY_REFUNDED")
    fakes.shopify.change_order(placed["shopify"], financial_status="REFUNDED")


def from_the_start(app) -> None:
    """Forget every cursor: each channel delivers every order again."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        for state in uow.session.scalars(select(ChannelState)):
            state.order_cursor = None
        uow.commit()


def timeline(app, kind: str) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {(e.channel, e.reference): e.details
                for e in uow.session.scalars(select(CustomerEvent).where(CustomerEvent.kind == kind))}


def statuses(app) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return {o.channel: o.status for o in uow.session.scalars(select(MarketplaceOrder))}


def test_an_order_cancelled_after_import_gives_its_units_back_once(hq, fakes):
    on_hand = levels(hq, 0)[0]
    push_round(hq)
    shown = fakes.shown(0)
    placed = place(fakes, 0, 2)
    assert outcomes(hq) == {c: {"reserved": 1} for c in CHANNELS}
    assert levels(hq, 0) == (on_hand, 0, 8)
    push_round(hq)
    assert fakes.shown(0) == {c: q - 8 for c, q in shown.items()}
    cancel(fakes, placed)
    for fake in fakes.by_channel.values():
        fake.duplicate_order_events = True  # every event and record comes twice
    assert outcomes(hq) == {c: {"cancelled": 1} for c in CHANNELS}
    assert levels(hq, 0) == (on_hand, 0, 0)
    push_round(hq)
    assert fakes.shown(0) == shown  # buyers see the units again
    assert statuses(hq) == {c: "cancelled" for c in CHANNELS}
    assert count(hq, select(func.count()).select_from(Reservation).where(Reservation.status == "released")) == 4
    cancelled = timeline(hq, "cancellation")
    assert set(cancelled) == {(c, placed[c]) for c in CHANNELS}
    assert cancelled[("ebay", placed["ebay"])]["lines"] == [{"sku": sku(0), "quantity": 2}]
    assert all(details["stock_returned"] for details in cancelled.values())
    # Re-delivered from the stored cursors and from the very start: nothing moves twice.
    pull_round(hq)
    from_the_start(hq)
    again = outcomes(hq)
    assert all(set(counts) <= {"duplicate"} for counts in again.values()), again
    assert levels(hq, 0) == (on_hand, 0, 0)
    assert len(timeline(hq, "cancellation")) == 4


def test_orders_arriving_unpaid_or_cancelled_take_stock_only_once_paid(hq, fakes):
    subscribe(hq, ["customer.purchased"])
    on_hand = levels(hq, 1)[0]
    waiting = place(fakes, 1, 3, paid=False)
    gone = place(fakes, 1, 5, paid=False)
    cancel(fakes, gone)
    assert outcomes(hq) == {c: {"pending": 1, "cancelled": 1} for c in CHANNELS}
    assert levels(hq, 1) == (on_hand, 0, 0)
    assert deliveries(hq, "customer.purchased") == []
    pay(fakes, waiting)
    assert outcomes(hq) == {c: {"reserved": 1} for c in CHANNELS}
    assert levels(hq, 1) == (on_hand, 0, 12)
    for fake in fakes.by_channel.values():
        fake.duplicate_order_events = True
    pull_round(hq)
    from_the_start(hq)
    pull_round(hq)
    assert levels(hq, 1) == (on_hand, 0, 12)
    told = [d["order_id"] for d in deliveries(hq, "customer.purchased")]
    assert sorted(told) == sorted(waiting.values())
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        by_id = {o.channel_order_id: o.status for o in uow.session.scalars(select(MarketplaceOrder))}
    assert {by_id[waiting[c]] for c in CHANNELS} == {"reserved"}
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        amazon = uow.session.scalar(select(MarketplaceOrder).where(MarketplaceOrder.channel_order_id == waiting["amazon"]))
        assert (amazon.total, amazon.currency) == (3 * 1999, "PLN")  # priced once paid
    assert {by_id[gone[c]] for c in CHANNELS} == {"cancelled"}
    assert count(hq, select(func.count()).select_from(Reservation)) == 4


def test_a_refunded_order_follows_the_store_return_rules(hq, fakes):
    on_hand = levels(hq, 2)[0]
    kept = place(fakes, 2, 1)  # refunded before it left: the committed pieces are free again
    shipped = place(fakes, 2, 2)  # refunded after it was sent: the pieces come back on hand
    assert outcomes(hq) == {c: {"reserved": 2} for c in CHANNELS}
    with hq.extensions["pos.db"].unit_of_work() as uow:
        for reservation in uow.session.scalars(select(Reservation).where(
                Reservation.reference.in_([shipped[c] for c in CHANNELS]))):
            reservations.fulfil(uow.session, reservation.id)
        uow.commit()
    assert levels(hq, 2) == (on_hand - 8, 0, 4)
    refund(fakes, kept)
    refund(fakes, shipped)
    fakes.amazon.change_order(kept["amazon"], "Canceled")  # Amazon's Orders API says no more than that
    results = outcomes(hq)
    assert results == {"allegro": {"refunded": 2}, "amazon": {"cancelled": 1}, "ebay": {"refunded": 2},
                       "shopify": {"refunded": 2}}
    assert levels(hq, 2) == (on_hand - 2, 0, 0)  # Amazon's shipped order is still out
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        returned = uow.session.scalars(select(StockMovement).where(StockMovement.reason == "return")).all()
        assert sum(m.quantity for m in returned) == 6
        back = {r.reference: r.status for r in uow.session.scalars(select(Reservation))}
    assert {back[shipped[c]] for c in ("allegro", "ebay", "shopify")} == {"returned"}
    assert {back[kept[c]] for c in CHANNELS} == {"released"}
    returns = timeline(hq, "return")
    assert set(returns) == {(c, placed[c]) for placed in (kept, shipped) for c in ("allegro", "ebay", "shopify")}
    from_the_start(hq)
    pull_round(hq)
    assert levels(hq, 2) == (on_hand - 2, 0, 0)
    checked = hq.test_cli_runner().invoke(args=["stock", "check"])  # levels = ledger, reservations add up
    assert checked.exit_code == 0, checked.output


def test_an_oversold_order_cancelled_on_the_channel_closes_its_incident(hq, fakes, manager):
    set_on_hand(hq, sku(3), 1)
    order_id = fakes.ebay.add_order([(listing_ids(3)["ebay"], 4, "3.00", "EUR")])
    assert outcomes(hq)["ebay"] == {"oversold": 1}
    assert manager.get("/api/v1/incidents?status=open").get_json()["open"] == 1
    fakes.ebay.change_order(order_id, cancel_state="CANCELED")
    assert outcomes(hq)["ebay"] == {"cancelled": 1}
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        incident = uow.session.scalar(select(ChannelIncident))
    assert incident.status == "resolved" and "cancelled on ebay" in incident.note
    assert levels(hq, 3) == (1, 0, 0)


def test_amazon_items_are_read_only_for_new_or_changed_orders(hq, fakes):
    ids = listing_ids(0)
    placed = [fakes.amazon.add_order([(ids["amazon"], 1, "9.99", "PLN")]) for _ in range(34)]

    def item_calls() -> int:
        return len([e for e in fakes.amazon.exchanges if e.path.endswith("/orderItems")])

    for _ in range(3):  # every pull's window includes the last second seen
        pull_round(hq)
    from_the_start(hq)
    pull_round(hq)
    assert item_calls() == 34
    assert count(hq, select(func.count()).select_from(MarketplaceOrder).where(MarketplaceOrder.channel == "amazon")) == 34
    fakes.amazon.change_order(placed[5], "Canceled")
    assert outcomes(hq)["amazon"] == {"cancelled": 1}
    assert item_calls() == 35


def test_a_throttled_pull_waits_and_imports_instead_of_failing(hq, fakes):
    fakes.amazon.rate_limits["getOrderItems"] = (5.0, 1)
    placed = place(fakes, 1, 1)
    for _ in range(3):
        fakes.amazon.add_order([(listing_ids(1)["amazon"], 1, "1.00", "PLN")])
    # other apps left too few points for a page, and they come back slowly enough that a loaded machine's
    # pause before the pull cannot refill them (the pull must meet THROTTLED and wait)
    fakes.shopify.bucket.restore_rate = 25.0
    fakes.shopify.bucket.spend(fakes.shopify.bucket.maximum - 900)
    shopify = pull_channel(hq, "shopify")
    amazon = pull_channel(hq, "amazon")
    assert (shopify["orders"], amazon["orders"]) == ({"reserved": 1}, {"reserved": 4})
    assert fakes.shopify.bucket.throttled == 1 and fakes.amazon.throttled >= 1
    assert statuses(hq) == {"shopify": "reserved", "amazon": "reserved"} and len(placed) == 4
