"""What the till says about coupons, in the page's language: the refusals by their stable code (each saying
what to do next) and the coupon shown beside the basket."""
from __future__ import annotations

from flask_babel import gettext


def coupon_problem_strings() -> dict:
    return {
        "coupon-empty": gettext("Type or scan the coupon's code."),
        "coupon-unknown": gettext("No such coupon. Check the code and type it again."),
        "coupon-mistyped": gettext("This coupon code is mistyped. Check it and type it again."),
        "coupon-inactive": gettext("This coupon's campaign was stopped. Sell without the coupon."),
        "coupon-not-yet-valid": gettext("This coupon is not valid yet. Sell without it; the customer can use it "
                                        "from its first day."),
        "coupon-expired": gettext("This coupon has expired. Sell without it."),
        "coupon-wrong-currency": gettext("This coupon is for another country's shops. Sell without it."),
        "coupon-already-redeemed": gettext("This coupon was used already. Sell without it."),
        "coupon-customer-required": gettext("This coupon is limited per customer: add the customer (menu, 0) "
                                            "and scan the coupon again."),
        "coupon-limit-reached": gettext("This customer has used this coupon as often as it allows. Sell without "
                                        "it."),
        "coupon-no-eligible-goods": gettext("The coupon applies to none of these goods."),
        "coupon-below-minimum": gettext("The goods this coupon applies to are below its minimum basket."),
        "coupon-offline-unknown": gettext("Head office cannot be reached and this store does not know the code. "
                                          "Sell without it, or try again when head office is back."),
        "coupon-offline-not-allocated": gettext("Head office cannot be reached and this code was not given to this "
                                                "store. Sell without it, or try again when head office is back."),
    }


def coupon_strings() -> dict:
    return {
        "coupon": gettext("Coupon"),
        "coupon_applied": gettext("Coupon {code}: −{amount}"),
        "coupon_reasons": {"no-eligible-goods": gettext("applies to none of these goods"),
                           "below-minimum": gettext("below its minimum basket ({amount})")},
    }
