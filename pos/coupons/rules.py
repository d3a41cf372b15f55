"""What a coupon takes off a basket, and what its codes look like.  Plain functions, integers only.

- The coupon applies to the lines of its product groups (all lines when it names none), after their own
  discounts.  Its minimum basket is the value of those lines.
- A percent is taken of that value (half up); a fixed amount is at most that value.  The discount is split
  over the lines in proportion to their amounts, leftovers to the largest remainders, and every line keeps
  at least one minor unit: a fiscal printer refuses a line discounted to nothing.
"""
from __future__ import annotations

import secrets

from pos.sales.pricing import allocate, percent_of

# No 0/O, 1/I: read off a printed slip or over the phone without doubt.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GROUPS, GROUP_SIZE = 3, 4  # 11 random characters (55 bits) + a check character, printed XXXX-XXXX-XXXX


def _check_character(body: str) -> str:
    """Luhn mod 32: any one character typed wrong, and most swaps of neighbours, are caught at the till."""
    n, factor, total = len(ALPHABET), 2, 0
    for ch in reversed(body):
        addend = factor * ALPHABET.index(ch)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_single_use_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_SIZE - 1))
    return body + _check_character(body)


def normalise(code: str) -> str:
    """What the cashier typed or the scanner sent, as stored: upper case, no spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -\t")


def looks_single_use(code: str) -> bool:
    return len(code) == GROUPS * GROUP_SIZE and all(ch in ALPHABET for ch in code)


def check_digit_ok(code: str) -> bool:
    return looks_single_use(code) and _check_character(code[:-1]) == code[-1]


def printable(code: str) -> str:
    if not looks_single_use(code):
        return code
    return "-".join(code[i:i + GROUP_SIZE] for i in range(0, len(code), GROUP_SIZE))


def applies_to(rule: dict, product_group: str) -> bool:
    groups = rule.get("product_groups") or []
    return not groups or product_group in groups


def eligible_value(rule: dict, amounts: list[int], groups: list[str]) -> int:
    return sum(a for a, g in zip(amounts, groups) if applies_to(rule, g))


def line_shares(rule: dict, amounts: list[int], groups: list[str]) -> tuple[list[int], str | None]:
    """Each line's share of the coupon's discount, and why it takes nothing (None when it applies).

    ``amounts``: the lines' values after their own discounts; ``groups``: their product groups."""
    weights = [a if applies_to(rule, g) and a > 1 else 0 for a, g in zip(amounts, groups)]
    base = sum(weights)
    if base == 0:
        return [0] * len(amounts), "no-eligible-goods"
    if base < (rule.get("min_basket") or 0):
        return [0] * len(amounts), "below-minimum"
    if rule.get("percent_bp"):
        wanted = percent_of(base, rule["percent_bp"])
    else:
        wanted = min(rule.get("amount") or 0, base)
    caps = [w - 1 if w else 0 for w in weights]
    wanted = min(wanted, sum(caps))
    shares = [0] * len(amounts)
    # Allocate, clamp to each line's cap, and spread what a clamped line could not take over the others.
    while wanted > 0:
        room = [c - s for c, s in zip(caps, shares)]
        part = allocate(wanted, [w if r > 0 else 0 for w, r in zip(weights, room)])
        taken = 0
        for i, p in enumerate(part):
            add = min(p, room[i])
            shares[i] += add
            taken += add
        if taken == 0:
            break
        wanted -= taken
    return shares, None
