"""A coupon's split over the lines, in integers: it adds up to the minor unit and never empties a line."""
from __future__ import annotations

import random

from pos.coupons.rules import check_digit_ok, line_shares, new_single_use_code, normalise, printable


def rule(**values):
    return {"percent_bp": 0, "amount": 0, "min_basket": 0, "product_groups": [], **values}


def test_a_fixed_amount_is_split_in_proportion_and_adds_up_exactly():
    assert line_shares(rule(amount=100), [300, 300, 300], ["", "", ""]) == ([34, 33, 33], None)
    assert line_shares(rule(amount=100), [100, 300], ["", ""]) == ([25, 75], None)
    # more than the goods are worth: each line keeps a minor unit (a printer refuses a line at zero)
    assert line_shares(rule(amount=1000), [300, 300, 300], ["", "", ""]) == ([299, 299, 299], None)


def test_only_the_named_groups_take_a_share():
    shares, reason = line_shares(rule(percent_bp=1000, product_groups=["dairy"]), [1999, 500, 1001],
                                 ["dairy", "bakery", "dairy"])
    assert reason is None and shares[1] == 0 and sum(shares) == 300  # 10 % of 3000


def test_every_line_keeps_at_least_a_minor_unit_and_the_sum_never_exceeds_the_goods():
    generator = random.Random(16)
    for _ in range(2000):
        count = generator.randint(1, 6)
        amounts = [generator.randint(0, 5000) for _ in range(count)]
        groups = [generator.choice(["a", "b", ""]) for _ in range(count)]
        given = rule(amount=generator.randint(1, 30000)) if generator.random() < 0.5 else \
            rule(percent_bp=generator.randint(1, 9999))
        given["product_groups"] = generator.choice([[], ["a"], ["a", "b"]])
        shares, reason = line_shares(given, amounts, groups)
        if reason is not None:
            assert shares == [0] * count
            continue
        eligible = [a for a, g in zip(amounts, groups) if (not given["product_groups"] or g in given["product_groups"])
                    and a > 1]
        wanted = (sum(eligible) * given["percent_bp"] + 5000) // 10000 if given["percent_bp"] else given["amount"]
        assert sum(shares) == min(wanted, sum(eligible), sum(a - 1 for a in eligible))
        assert all(0 <= s <= max(a - 1, 0) for s, a in zip(shares, amounts))


def test_below_the_minimum_or_with_nothing_eligible_it_takes_nothing():
    assert line_shares(rule(percent_bp=1000, min_basket=1000), [999], [""]) == ([0], "below-minimum")
    assert line_shares(rule(amount=100, product_groups=["x"]), [500], ["y"]) == ([0], "no-eligible-goods")


def test_codes_are_printable_and_one_wrong_character_is_caught():
    for _ in range(200):
        code = new_single_use_code()
        assert check_digit_ok(code) and normalise(printable(code).lower()) == code
        for position in range(len(code)):
            for other in "AB":
                if other != code[position]:
                    assert not check_digit_ok(code[:position] + other + code[position + 1:])
