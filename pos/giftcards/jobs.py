"""Background work for gift cards (HQ and standalone): cards past their expiry lose what is left on them."""
from __future__ import annotations

from pos.giftcards.services import expire_cards


def expire_gift_cards(app) -> str:
    with app.extensions["pos.db"].unit_of_work() as uow:
        count = expire_cards(uow.session)
        uow.commit()
    return f"{count} gift card(s) expired"
