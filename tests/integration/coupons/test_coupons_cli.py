"""`flask coupons …` on a real database: a product group, a campaign, a batch written as CSV, a refusal."""
from __future__ import annotations

import csv
import io

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.coupons.rules import check_digit_ok, normalise
from pos.feed.models import Change


def test_groups_a_campaign_and_a_batch_from_the_command_line(app, tmp_path):
    runner = app.test_cli_runner()
    grouped = runner.invoke(args=["coupons", "group", "dairy", "SKU-000001", "SKU-000002"])
    assert grouped.exit_code == 0, grouped.output
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Product.product_group).where(Product.sku == "SKU-000002")) == "dairy"
        published = [c.payload for c in uow.session.scalars(select(Change).where(Change.entity == "product"))]
    assert {p["sku"] for p in published if p.get("product_group") == "dairy"} == {"SKU-000001", "SKU-000002"}
    unknown = runner.invoke(args=["coupons", "group", "dairy", "NOPE"])
    assert unknown.exit_code != 0 and "no product NOPE" in unknown.output
    made = runner.invoke(args=["coupons", "campaign", "Milk week", "--percent", "10", "--group", "dairy",
                               "--from", "2026-01-01", "--until", "2099-12-31", "--code", "milk10"])
    assert made.exit_code == 0, made.output
    campaign_id = made.output.split()[1]
    twice = runner.invoke(args=["coupons", "campaign", "Other", "--percent", "5", "--from", "2026-01-01",
                                "--until", "2099-12-31", "--code", "MILK10"])
    assert twice.exit_code != 0 and "MILK10 is taken" in twice.output
    out = tmp_path / "codes.csv"
    issued = runner.invoke(args=["coupons", "issue", campaign_id, "4", "--store", "S1", "--output", str(out)])
    assert issued.exit_code == 0, issued.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8"))))
    assert len(rows) == 4 and all(check_digit_ok(normalise(r["code"])) and r["store"] == "S1" for r in rows)
