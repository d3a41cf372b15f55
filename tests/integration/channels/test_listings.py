"""The SKU ↔ listing map: loaded from CSV (all or nothing, bad rows named by line) and edited at HQ."""
from __future__ import annotations

from sqlalchemy import func, select

from sync.channels.models import ChannelListing
from sync.channels.push import push_round
from tests.conftest import login
from tests.integration.channels.conftest import sku


def listed(app, channel: str) -> dict:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return dict(uow.session.execute(select(ChannelListing.sku, ChannelListing.listing_id)
                                        .where(ChannelListing.channel == channel)).all())


def test_csv_import_is_all_or_nothing_and_names_the_bad_lines(hq, tmp_path):
    csv_file = tmp_path / "ebay.csv"
    csv_file.write_text("sku,listing_id\n"
                        "SKU-000010,EB-10\n"
                        "SKU-NOPE,EB-11\n"
                        "SKU-000012,\n"
                        "SKU-000010,EB-13\n"
                        "SKU-000014,EB-SKU-000000\n"     # eBay's listing of SKU-000000 already
                        "SKU-000015,EB-15\n", encoding="utf-8")
    before = listed(hq, "ebay")
    runner = hq.test_cli_runner()
    result = runner.invoke(args=["channels", "import-listings", "ebay", str(csv_file)])
    assert result.exit_code != 0
    assert f"{csv_file}:3: sku: no product SKU-NOPE" in result.output
    assert f"{csv_file}:4: listing_id: empty" in result.output
    assert f"{csv_file}:5: sku: SKU-000010 is already on line 2" in result.output
    assert f"{csv_file}:6: listing_id: EB-SKU-000000 already sells SKU-000000 on ebay" in result.output
    assert "nothing was written" in result.output
    assert listed(hq, "ebay") == before
    result = runner.invoke(args=["channels", "import-listings", "ebay", str(csv_file), "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 4 skipped" in result.output
    after = listed(hq, "ebay")
    assert (after["SKU-000010"], after["SKU-000015"]) == ("EB-10", "EB-15")
    assert "SKU-000014" not in after


def test_a_file_may_swap_two_listings_between_skus(hq, tmp_path):
    csv_file = tmp_path / "allegro.csv"
    before = listed(hq, "allegro")
    csv_file.write_text(f"sku,listing_id\n{sku(0)},{before[sku(1)]}\n{sku(1)},{before[sku(0)]}\n", encoding="utf-8")
    result = hq.test_cli_runner().invoke(args=["channels", "import-listings", "allegro", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 0 skipped" in result.output
    after = listed(hq, "allegro")
    assert (after[sku(0)], after[sku(1)]) == (before[sku(1)], before[sku(0)])


def test_managers_edit_listings_over_the_api_and_a_new_one_is_pushed(hq, fakes, manager):
    push_round(hq)
    fakes.shopify.add_inventory_item("gid://shopify/InventoryItem/900", 0)
    answer = manager.put(f"/api/v1/channels/shopify/listings/{sku(9)}",
                         json={"listing_id": "gid://shopify/InventoryItem/900"})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["pending"] is True and answer.get_json()["wanted_quantity"] == 99
    assert manager.put(f"/api/v1/channels/shopify/listings/{sku(9)}",
                       json={"listing_id": "gid://shopify/InventoryItem/900"}).status_code == 200
    taken = manager.put(f"/api/v1/channels/shopify/listings/{sku(8)}",
                        json={"listing_id": "gid://shopify/InventoryItem/900"})
    assert taken.status_code == 409 and taken.get_json()["invalid_params"][0]["name"] == "listing_id"
    assert manager.put("/api/v1/channels/shopify/listings/SKU-NOPE", json={"listing_id": "x"}).status_code == 422
    assert manager.get("/api/v1/channels/etsy/listings").status_code == 422
    pending = manager.get("/api/v1/channels/shopify/listings?pending=true").get_json()["items"]
    assert [i["sku"] for i in pending] == [sku(9)]
    push_round(hq)
    assert fakes.shopify.quantity("gid://shopify/InventoryItem/900") == 99
    item = manager.get(f"/api/v1/channels/shopify/listings?sku={sku(9)}").get_json()["items"][0]
    assert (item["pushed_quantity"], item["pending"]) == (99, False)
    assert manager.delete(f"/api/v1/channels/shopify/listings/{sku(9)}").status_code == 200
    assert manager.delete(f"/api/v1/channels/shopify/listings/{sku(9)}").status_code == 404
    assert sku(9) not in listed(hq, "shopify")


def test_listings_and_status_are_for_managers_only(hq):
    cashier = login(hq.test_client())
    for path in ("/api/v1/channels/ebay/listings", "/api/v1/channels/status", "/api/v1/incidents"):
        assert cashier.get(path).status_code == 403
        assert hq.test_client().get(path).status_code == 401
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(ChannelListing)) == 16
