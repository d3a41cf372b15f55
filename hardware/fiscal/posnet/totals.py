"""How a POSNET printer splits a bill discount (``trdiscntbill``) over its VAT totals.

Spec v021, chapter "Rozliczanie groszy": an amount discount is turned into a percentage of the
receipt (R = r / Xall) and taken from each VAT total in proportion; the grosze that arithmetic
leaves over are then settled one by one:

* the computed discount is smaller than the real one (N > 0): a grosz more is taken from each total
  in turn, starting with the largest (equal totals in alphabetical order from A), two grosze where
  a total is at least twice the next one, until none is left;
* the computed discount is larger (N < 0): a grosz is given back to each total in turn, starting
  with the smallest (equal totals in reverse alphabetical order, from G).

The till sends the basket discount this way (not spread over the lines) and expects these totals
back when it reads the printer's counters.
"""
from __future__ import annotations


def split_bill_discount(totals: dict[str, int], discount: int) -> dict[str, int]:
    """VAT letter → total after a bill discount of ``discount`` grosze (totals before it given)."""
    totals = {letter: value for letter, value in totals.items() if value}
    whole = sum(totals.values())
    if not discount or not whole:
        return dict(totals)
    after = {letter: value - _half_up(value * discount, whole) for letter, value in totals.items()}
    missing = (whole - discount) - sum(after.values())  # > 0: too much was taken; < 0: too little
    while missing:
        if missing < 0:
            order = sorted(after, key=lambda k: (-after[k], k))  # largest first, ties from A
        else:
            order = sorted(after, key=lambda k: (after[k], [-ord(c) for c in k]))  # smallest first, ties from G
        for index, letter in enumerate(order):
            if not missing:
                break
            step = 1
            following = order[index + 1] if index + 1 < len(order) else None
            if missing < 0 and following is not None and after[letter] >= 2 * after[following] and missing <= -2:
                step = 2
            if missing < 0:
                after[letter] -= step
                missing += step
            elif after[letter] < totals[letter]:  # a discount never raises a total above its value before
                after[letter] += 1
                missing -= 1
    return after


def _half_up(numerator: int, denominator: int) -> int:
    quotient, remainder = divmod(numerator, denominator)
    return quotient + (1 if remainder * 2 >= denominator else 0)
