"""The back office's gift cards: liability per currency, open incidents, issued cards with balance and use."""
from __future__ import annotations

import uuid

from pos.giftcards import services
from tests.integration.office.test_office_pages import english, sign_in


def test_the_office_lists_cards_with_balance_and_use_and_the_liability(app, till):
    with app.extensions["pos.db"].unit_of_work() as uow:
        spent, _ = services.issue(uow.session, amount=5000, currency="PLN", key="a", issued_by="hq:boss")
        kept, _ = services.issue(uow.session, amount=2000, currency="PLN", key="b", issued_by="journey")
        services.redeem(uow.session, spent.code, 1250, "PLN", str(uuid.uuid4()), channel="web:shop")
        uow.commit()
    client = english(app)
    assert client.get("/office/gift-cards").status_code in (302, 303)  # signed in first
    sign_in(client)
    page = client.get("/office/gift-cards").get_data(as_text=True)
    assert "Liability" in page and services.printed(spent.code) in page and services.printed(kept.code) in page
    assert "PLN 57.50" in page or "57.50" in page  # outstanding: 37.50 + 20.00
    found = client.get(f"/office/gift-cards?q={services.printed(kept.code).lower()}").get_data(as_text=True)
    assert services.printed(kept.code) in found and services.printed(spent.code) not in found
    card = client.get(f"/office/gift-cards/{spent.code}").get_data(as_text=True)
    assert "web:shop" in card and "spent" in card and "37.50" in card
    assert client.get("/office/gift-cards/GCNOSUCHCARD").status_code == 404
    cashier = english(app)
    sign_in(cashier, "demo", "1234")
    assert cashier.get("/office/gift-cards").status_code == 403
