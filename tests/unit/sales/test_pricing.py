"""Money is exact: properties of the pricing rules, with Hypothesis."""
from hypothesis import assume, given, strategies as st

from pos.sales.pricing import (PaymentError, PricedLine, allocate, cash_round, line_gross, price_basket,
                               round_half_up, settle, vat_from_gross)

import pytest


def test_round_half_up_rounds_halves_away_from_zero():
    assert round_half_up(5, 10) == 1
    assert round_half_up(4, 10) == 0
    assert round_half_up(-5, 10) == -1
    assert round_half_up(15, 10) == 2


def test_vat_is_computed_from_the_group_gross_like_the_fiscal_printer():
    # 123.00 gross at 23% → 23.00 VAT; 10.80 at 8% → 0.80; 0.05 at 23% → 0.01
    assert vat_from_gross(12300, 2300) == 2300
    assert vat_from_gross(1080, 800) == 80
    assert vat_from_gross(5, 2300) == 1
    assert vat_from_gross(999, None) == 0


def test_weighed_line_is_price_per_kg_times_grams():
    assert line_gross("kg", 3990, 352) == 1404  # 39.90/kg × 0.352 kg = 14.0448 → 14.04
    assert line_gross("kg", 1999, 500) == 1000  # 9.995 → 10.00 (half up)
    assert line_gross("pcs", 450, 3) == 1350


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=30))
def test_allocate_always_sums_to_the_total(total, weights):
    shares = allocate(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
    else:
        assert sum(shares) == total
        assert all(share >= 0 for share in shares)


line_strategy = st.builds(
    PricedLine, unit=st.sampled_from(["pcs", "kg"]), unit_price=st.integers(1, 100000),
    quantity=st.integers(1, 5000), vat_group=st.sampled_from("ABCDE"),
    vat_rate_bp=st.sampled_from([2300, 800, 500, 0, None]))


@given(st.lists(line_strategy, min_size=1, max_size=20), st.integers(0, 10000), st.integers(0, 10**6))
def test_basket_totals_add_up_to_the_grosz(lines, percent_bp, amount):
    totals = price_basket(lines, percent_bp, amount)
    assert totals.total == sum(line.amount for line in lines)
    assert totals.total == totals.subtotal - totals.discount_total
    assert sum(gross for _, gross, _ in totals.vat.values()) == totals.total
    assert all(line.amount >= 0 for line in lines)
    assert totals.total >= 0


@given(st.integers(1, 10**7), st.integers(0, 10**7), st.sampled_from([1, 10, 100]))
def test_cash_settlement_gives_exact_change(total, extra, step):
    due = cash_round(total, step)
    assume(due + extra > 0)  # a total that rounds to nothing in cash is paid with nothing
    settlement = settle(total, [("cash", due + extra)], step)
    assert settlement.change == extra
    assert settlement.to_pay == due
    assert abs(settlement.rounding) <= step // 2


def test_czech_cash_rounds_to_whole_crowns_but_card_does_not():
    assert settle(10049, [("cash", 10000)], 100).rounding == -49
    assert settle(10050, [("cash", 10100)], 100).rounding == 50
    assert settle(10049, [("card", 10049)], 100).rounding == 0
    split = settle(10049, [("card", 5000), ("cash", 5100)], 100)  # cash part 50.49 → 50
    assert (split.rounding, split.change) == (-49, 100)


def test_card_may_not_exceed_what_is_due_and_short_payments_are_refused():
    with pytest.raises(PaymentError) as exc:
        settle(1000, [("card", 1001)], 1)
    assert exc.value.field == "payments[0].amount"
    with pytest.raises(PaymentError):
        settle(1000, [("card", 500), ("cash", 499)], 1)
    with pytest.raises(PaymentError):
        settle(1000, [("card", 999)], 1)
