"""`flask loyalty …`: the rules set and shown, products put in a group, the card page's signed link."""
from __future__ import annotations

import json

from sqlalchemy import select

from pos.catalogue.models import Product
from pos.customers.models import Customer
from pos.staff.models import AuditEntry


def test_rules_groups_and_the_card_link_from_the_command_line(app, client):
    runner = app.test_cli_runner()
    saved = runner.invoke(args=["loyalty", "set", "--points-per-unit", "3", "--point-value", "2",
                                "--group", "dairy:20000", "--tier", "Silver:500:12000"])
    assert saved.exit_code == 0, saved.output
    shown = json.loads(runner.invoke(args=["loyalty", "show"]).output)
    assert shown["points_per_unit"] == 3 and shown["tiers"][0] == {"name": "Silver", "threshold": 500,
                                                                   "multiplier_bp": 12000}
    bad = runner.invoke(args=["loyalty", "set", "--point-value", "0"])
    assert bad.exit_code != 0 and "point_value" in bad.output
    assert runner.invoke(args=["loyalty", "group", "dairy", "SKU-000001", "SKU-000002"]).exit_code == 0
    unknown = runner.invoke(args=["loyalty", "group", "dairy", "NO-SUCH-SKU"])
    assert unknown.exit_code != 0 and "NO-SUCH-SKU" in unknown.output
    with app.extensions["pos.db"].unit_of_work() as uow:
        grouped = set(uow.session.scalars(select(Product.sku).where(Product.product_group == "dairy")))
        assert grouped == {"SKU-000001", "SKU-000002"}
        assert uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "loyalty_programme")).all()
        customer = Customer(name="Ola", card="LC9")
        uow.session.add(customer)
        uow.commit()
        customer_id = customer.id
    link = runner.invoke(args=["loyalty", "card-link", str(customer_id)]).output.strip()
    assert link.startswith("/loyalty/card/")
    page = client.get(link)
    assert page.status_code == 200 and "LC9" in page.get_data(as_text=True)
