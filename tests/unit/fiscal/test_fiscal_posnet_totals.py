"""The spec's rule for a bill discount over the VAT totals, and the system number."""
import uuid

from hypothesis import given, strategies as st

from hardware.fiscal.posnet.driver import SYSTEM_NUMBER_LENGTH, reference_of, system_number
from hardware.fiscal.posnet.totals import split_bill_discount


def test_the_spec_s_printout_of_a_ten_percent_bill_discount():
    # trdiscntbill example (spec v021 p. 100): 20,00 A + 30,00 B + 10,00 C less 10 % → 18,00 / 27,00 / 9,00
    assert split_bill_discount({"A": 2000, "B": 3000, "C": 1000}, 600) == {"A": 1800, "B": 2700, "C": 900}


def test_left_over_grosze_are_settled_by_the_spec_s_order():
    # 1 grosz over three equal totals: computed shares round to 0, one grosz comes off the first from A
    assert split_bill_discount({"A": 100, "B": 100, "C": 100}, 1) == {"A": 99, "B": 100, "C": 100}
    # shares rounded up take a grosz too many: it goes back to the smallest total, ties from G
    assert split_bill_discount({"A": 333, "B": 333, "C": 334}, 100) == {"A": 300, "B": 300, "C": 300}
    assert sum(split_bill_discount({"A": 5, "B": 5, "C": 5}, 2).values()) == 13


@given(st.dictionaries(st.sampled_from("ABCDEFG"), st.integers(1, 10**8), min_size=1), st.data())
def test_the_totals_always_add_up_to_the_receipt_less_its_discount(totals, data):
    discount = data.draw(st.integers(0, sum(totals.values()) - 1))
    after = split_bill_discount(totals, discount)
    assert sum(after.values()) == sum(totals.values()) - discount
    assert all(0 <= after[k] <= totals[k] for k in totals)


def test_the_system_number_is_the_whole_sale_id_within_the_spec_s_length():
    sale_id = str(uuid.uuid4())
    number = system_number(sale_id)
    assert len(number) <= SYSTEM_NUMBER_LENGTH and number.isalnum() and number.isupper()
    assert reference_of(number) == sale_id  # all 128 bits are there
    other = str(uuid.UUID(int=uuid.UUID(sale_id).int ^ 1))  # differs in the last bit only
    assert system_number(other) != number
    assert system_number("SALE-00001") == "SALE-00001"
