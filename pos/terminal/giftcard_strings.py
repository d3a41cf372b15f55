"""What the till says about gift cards (till-giftcards.js), and their problems by stable code."""
from __future__ import annotations

from flask_babel import gettext


def giftcard_strings() -> dict:
    return {
        "gift_card": gettext("Gift card"),
        "gift_card_balance": gettext("On the card: {spendable} (valid until {until})"),
        "gift_card_offline": gettext("Head office not reachable: this till may spend {spendable} of the card"),
        "gift_card_sold": gettext("Gift card {code} worth {amount}, valid until {until}: hand it to the customer."),
        "gift_card_code_needed": gettext("Scan or type the gift card's code."),
    }


def giftcard_problems() -> dict:
    return {
        "gift-card-insufficient": gettext("The gift card has only {spendable} to spend. Lower the amount and take "
                                          "the rest by another tender."),
        "gift-card-expired": gettext("This gift card has expired."),
        "gift-card-cancelled": gettext("This gift card was cancelled."),
        "unknown-gift-card": gettext("No such gift card. Check the code and type it again."),
        "invalid-gift-card-code": gettext("That is not a gift card code: GC and 16 letters or digits."),
        "gift-card-offline": gettext("Head office is not reachable and this till may not spend this card offline. "
                                     "Take another tender."),
        "gift-card-offline-short": gettext("Head office is not reachable: this till may spend only {spendable} of "
                                           "the card now. Take the rest by another tender."),
        "gift-card-for-gift-card": gettext("A gift card cannot be paid with a gift card."),
        "gift-card-not-returnable": gettext("A gift card sold is not returned as goods."),
    }
