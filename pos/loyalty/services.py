"""Loyalty points: earn on purchases (once per purchase), reverse on returns in proportion, spend as a
tender (once per idempotency key), all on one ledger whose sum is the account's balance.

The node that holds a programme is the authority (HQ, or a standalone shop); a store holds none and asks
HQ (pos.loyalty.tender).  Plain arguments and a session in, domain errors out; no Flask here."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from pos.catalogue.models import Product
from pos.customers.merges import merged_ids, resolve
from pos.customers.services import record_interaction
from pos.db import utcnow
from pos.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme
from pos.sales.pricing import round_half_up

BP = 10_000  # basis points: a multiplier of 1× is 10 000
POINTS = "points"  # the tender's method


class LoyaltyError(ValueError):
    """A refusal naming the field; ``code`` is the problem's stable slug."""

    def __init__(self, code: str, field: str, reason: str, status: int = 422, **extra):
        super().__init__(f"{field}: {reason}")
        self.code, self.field, self.reason, self.status, self.extra = code, field, reason, status, extra


@dataclass
class Line:
    """What a purchase line brings to earning: its amount after discounts and its product group."""

    amount: int
    group: str | None = None


# ---------- the programme ----------

def programme(session) -> LoyaltyProgramme | None:
    """This node's programme; None on a store (HQ holds it) or where the shop has none."""
    return session.scalars(select(LoyaltyProgramme).order_by(LoyaltyProgramme.updated_at)).first()


def programme_json(found: LoyaltyProgramme | None) -> dict | None:
    if found is None:
        return None
    return {"name": found.name, "active": found.active, "points_per_unit": found.points_per_unit,
            "point_value": found.point_value, "rolling_days": found.rolling_days,
            "group_multipliers": dict(found.group_multipliers or {}), "tiers": list(found.tiers or [])}


def check_rules(values: dict) -> dict:
    """The programme's rules, checked; raises LoyaltyError naming the first bad field."""
    def whole(field, low, high):
        value = values.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise LoyaltyError("invalid-field", field, f"a whole number from {low} to {high}")
        return value

    rules = {"name": str(values.get("name") or "")[:100], "active": bool(values.get("active", True)),
             "points_per_unit": whole("points_per_unit", 0, 10_000), "point_value": whole("point_value", 1, 1_000_000),
             "rolling_days": whole("rolling_days", 1, 3650)}
    groups = {}
    for group, multiplier in (values.get("group_multipliers") or {}).items():
        name = str(group).strip()
        if not name or len(name) > 64:
            raise LoyaltyError("invalid-field", "group_multipliers", "a group's name is 1 to 64 characters")
        if not isinstance(multiplier, int) or isinstance(multiplier, bool) or not 0 <= multiplier <= 100 * BP:
            raise LoyaltyError("invalid-field", f"group_multipliers.{name}",
                               "basis points from 0 to 1 000 000 (10 000 is 1×)")
        groups[name] = multiplier
    tiers, last = [], -1
    for index, tier in enumerate(values.get("tiers") or []):
        name = str(tier.get("name") or "").strip()
        threshold, multiplier = tier.get("threshold"), tier.get("multiplier_bp", BP)
        if not name or len(name) > 40:
            raise LoyaltyError("invalid-field", f"tiers[{index}].name", "a name of 1 to 40 characters")
        if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold <= last:
            raise LoyaltyError("invalid-field", f"tiers[{index}].threshold",
                               "whole points, each tier's above the one before")
        if not isinstance(multiplier, int) or isinstance(multiplier, bool) or not BP <= multiplier <= 100 * BP:
            raise LoyaltyError("invalid-field", f"tiers[{index}].multiplier_bp",
                               "basis points from 10 000 (1×) to 1 000 000")
        tiers.append({"name": name, "threshold": threshold, "multiplier_bp": multiplier})
        last = threshold
    return {**rules, "group_multipliers": groups, "tiers": tiers}


def configure(session, values: dict) -> tuple[LoyaltyProgramme, dict]:
    """Set the programme's rules (creating it); returns it and what changed {field: [before, after]}."""
    rules = check_rules(values)
    found = programme(session)
    before = programme_json(found) or {}
    if found is None:
        found = LoyaltyProgramme()
        session.add(found)
    for field, value in rules.items():
        setattr(found, field, value)
    found.updated_at = utcnow()
    session.flush()
    after = programme_json(found)
    return found, {field: [before.get(field), after[field]] for field in after if before.get(field) != after[field]}


# ---------- accounts ----------

def _owner(session, customer_id):
    customer = resolve(session, customer_id)
    if customer is None:
        raise LoyaltyError("unknown-customer", "customer_id", f"no customer {customer_id}", status=404)
    return customer


def account_for(session, customer_id, create: bool = False) -> LoyaltyAccount | None:
    """The account of the living profile (a merged id finds the survivor's).  Where profiles were merged,
    the duplicates' points move into the survivor's account first (``create``: the write paths)."""
    customer = _owner(session, customer_id)
    account = session.scalar(select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer.id))
    others = list(session.scalars(select(LoyaltyAccount).where(
        LoyaltyAccount.customer_id.in_(merged_ids(session, customer.id)[1:]), LoyaltyAccount.balance > 0)))
    if account is None and create:
        try:
            with session.begin_nested():
                account = LoyaltyAccount(customer_id=customer.id, balance=0)
                session.add(account)
        except IntegrityError:  # opened by a concurrent purchase
            account = session.scalar(select(LoyaltyAccount).where(LoyaltyAccount.customer_id == customer.id))
    if create:
        for other in others:
            _move_merged(session, other, account)
    return account


def _move_merged(session, duplicate: LoyaltyAccount, survivor: LoyaltyAccount) -> None:
    """A merged duplicate's points into the survivor's account: the debit is conditional, so two movers
    racing move them once."""
    points = session.scalar(select(LoyaltyAccount.balance).where(LoyaltyAccount.id == duplicate.id))
    if not points:
        return
    key = f"merge:{duplicate.id}:{uuid.uuid4()}"
    try:
        with session.begin_nested():
            _post(session, duplicate, key + ":out", "merge", -points, reference=str(survivor.customer_id))
    except LoyaltyError:
        return  # moved meanwhile
    _post(session, survivor, key + ":in", "merge", points, reference=str(duplicate.customer_id))


def earned_in_window(session, account: LoyaltyAccount, days: int, now: dt.datetime | None = None) -> int:
    since = (now or utcnow()) - dt.timedelta(days=days)
    return int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.account_id == account.id, LoyaltyEntry.kind.in_(("earn", "reverse")),
        LoyaltyEntry.at >= since)) or 0)


def tier_of(rules: LoyaltyProgramme, earned: int) -> dict | None:
    reached = [tier for tier in (rules.tiers or []) if earned >= tier["threshold"]]
    return reached[-1] if reached else None


def summary(session, customer_id, history: int = 50) -> dict:
    """Balance, tier and the latest entries; what the till, the timeline and the card page show."""
    rules = programme(session)
    customer = _owner(session, customer_id)
    account = account_for(session, customer.id)
    # merged duplicates' points count here before a write moves them into this account
    balance = int(session.scalar(select(func.coalesce(func.sum(LoyaltyAccount.balance), 0)).where(
        LoyaltyAccount.customer_id.in_(merged_ids(session, customer.id)))) or 0)
    earned = earned_in_window(session, account, rules.rolling_days) if account and rules else 0
    tier = tier_of(rules, earned) if rules else None
    entries = [] if account is None else list(session.scalars(
        select(LoyaltyEntry).where(LoyaltyEntry.account_id == account.id)
        .order_by(LoyaltyEntry.at.desc(), LoyaltyEntry.id).limit(history)))
    return {"customer_id": str(customer.id), "card": customer.card, "balance": balance,
            "worth": balance * rules.point_value if rules else 0,
            "point_value": rules.point_value if rules else None, "active": bool(rules and rules.active),
            "tier": tier["name"] if tier else None, "earned_in_window": earned,
            "rolling_days": rules.rolling_days if rules else None,
            "history": [entry_json(e) for e in entries]}


def entry_json(entry: LoyaltyEntry) -> dict:
    return {"id": str(entry.id), "kind": entry.kind, "points": entry.points, "value": entry.value,
            "currency": entry.currency, "channel": entry.channel, "reference": entry.reference,
            "at": entry.at.isoformat(), "details": entry.details or {}}


# ---------- the ledger ----------

def _existing(session, key: str) -> LoyaltyEntry | None:
    return session.scalar(select(LoyaltyEntry).where(LoyaltyEntry.key == key))


def _post(session, account: LoyaltyAccount, key: str, kind: str, points: int, *, value=0, currency="",
          channel="", reference="", details=None, request_hash="", at=None) -> tuple[LoyaltyEntry, bool]:
    """Write one entry and move the balance with it, once per key: (entry, written).  A debit only goes
    through while the balance covers it (one conditional UPDATE: racing spends serialise on the row)."""
    entry = LoyaltyEntry(account_id=account.id, key=key, kind=kind, points=points, value=value, currency=currency,
                         channel=channel, reference=str(reference), details=details or {}, request_hash=request_hash,
                         at=at or utcnow())
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        earlier = _existing(session, key)
        if earlier is None:  # pragma: no cover - another constraint; let the caller see it
            raise
        return earlier, False
    moved = session.execute(update(LoyaltyAccount).where(
        LoyaltyAccount.id == account.id, LoyaltyAccount.balance + points >= 0).values(
        balance=LoyaltyAccount.balance + points, updated_at=utcnow())).rowcount
    if not moved:
        balance = session.scalar(select(LoyaltyAccount.balance).where(LoyaltyAccount.id == account.id))
        raise LoyaltyError("insufficient-points", "amount", f"{-points} points needed, the balance is {balance}",
                           status=409, balance=balance, needed=-points)
    session.expire(account, ["balance"])
    if points:
        record_interaction(session, account.customer_id, channel or "loyalty", "loyalty", reference or key,
                           {"points": points, "action": kind, "total": value or None, "currency": currency or None},
                           at=entry.at)
    return entry, True


def points_for(rules: LoyaltyProgramme, lines: list[Line], paid_with_points: int, tier: dict | None) -> tuple[int, int]:
    """(points, value earned on): every line weighed by its group's multiplier, less the share paid with
    points, times the tier's multiplier; whole points, rounded down."""
    total = sum(line.amount for line in lines)
    if total <= 0 or not rules.active or rules.points_per_unit <= 0:
        return 0, 0
    eligible = max(total - paid_with_points, 0)
    weighted = sum(line.amount * (rules.group_multipliers or {}).get(line.group or "", BP) for line in lines)
    tier_bp = tier["multiplier_bp"] if tier else BP
    numerator = weighted * eligible * rules.points_per_unit * tier_bp
    return numerator // (total * 100 * BP * BP), eligible


def lines_by_product(session, items: list[tuple]) -> list[Line]:
    """[(product_id, amount)] → lines with each product's group."""
    ids = {product_id for product_id, _ in items}
    groups = {pid: name for pid, name in session.execute(
        select(Product.id, Product.product_group).where(Product.id.in_(ids)))} if ids else {}
    return [Line(amount, groups.get(product_id)) for product_id, amount in items]


def lines_by_sku(session, items: list[tuple]) -> list[Line]:
    """[(sku, amount)] → lines with each product's group (an unknown SKU earns at 1×)."""
    skus = {sku for sku, _ in items}
    groups = {sku: name for sku, name in session.execute(
        select(Product.sku, Product.product_group).where(Product.sku.in_(skus)))} if skus else {}
    return [Line(amount, groups.get(sku)) for sku, amount in items]


def earn(session, customer_id, key: str, lines: list[Line], currency: str, channel: str, reference,
         paid_with_points: int = 0, at=None) -> LoyaltyEntry | None:
    """Points for one purchase, once per ``key`` (sale:ID, order:CHANNEL:ID): a replayed sale never earns
    twice.  None where this node holds no programme (a store: HQ earns when the sale reaches it)."""
    rules = programme(session)
    if rules is None or customer_id is None:
        return None
    earlier = _existing(session, key)
    if earlier is not None:
        return earlier
    account = account_for(session, customer_id, create=True)
    tier = tier_of(rules, earned_in_window(session, account, rules.rolling_days, at))
    points, value = points_for(rules, lines, paid_with_points, tier)
    entry, _ = _post(session, account, key, "earn", points, value=value, currency=currency, channel=channel,
                     reference=reference, at=at,
                     details={"tier": tier["name"] if tier else None, "purchase_total": sum(l.amount for l in lines)})
    return entry


def reverse(session, earned_key: str, key: str, returned_value: int, channel: str, reference,
            whole: bool = False, at=None) -> LoyaltyEntry | None:
    """Take back what a purchase earned, in proportion to the value returned (all of it when ``whole``),
    once per ``key``; never more than the purchase earned, never below a zero balance (what was already
    spent stays spent and is noted on the entry)."""
    earned = _existing(session, earned_key)
    if earned is None or earned.points <= 0:
        return None
    earlier = _existing(session, key)
    if earlier is not None:
        return earlier
    base = (earned.details or {}).get("purchase_total") or earned.value or 1
    taken = -int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.kind == "reverse", LoyaltyEntry.details["of"].as_string() == earned_key)) or 0)
    share = earned.points if whole else round_half_up(earned.points * min(returned_value, base), base)
    share = min(share, earned.points - taken)
    if share <= 0:
        return None
    account = session.get(LoyaltyAccount, earned.account_id)
    balance = session.scalar(select(LoyaltyAccount.balance).where(LoyaltyAccount.id == account.id))
    collected = min(share, balance)
    entry, _ = _post(session, account, key, "reverse", -collected, value=returned_value, currency=earned.currency,
                     channel=channel, reference=reference, at=at,
                     details={"of": earned_key, "due": share, "uncollected": share - collected})
    return entry


def request_hash(**fields) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


def points_needed(rules: LoyaltyProgramme, amount: int) -> int:
    return -(-amount // rules.point_value)


def redeem(session, customer_id, amount: int, currency: str, key: str, channel: str,
           reference: str = "") -> tuple[LoyaltyEntry, bool]:
    """Spend points worth ``amount`` minor units (rounded up to whole points), once per ``key``:
    (entry, created).  The same key with another customer or amount is refused; a balance too small is
    refused whole.  Racing spends on one account serialise on its row and spend once."""
    rules = programme(session)
    if rules is None or not rules.active:
        raise LoyaltyError("loyalty-inactive", "method", "this shop runs no loyalty programme", status=409)
    if amount <= 0:
        raise LoyaltyError("invalid-field", "amount", "must be greater than zero")
    fingerprint = request_hash(customer=str(customer_id), amount=amount, currency=currency)
    earlier = _existing(session, key)
    if earlier is not None:
        return _replayed(earlier, fingerprint), False
    account = account_for(session, customer_id, create=True)  # with a merged duplicate's points
    points = points_needed(rules, amount)
    if account is None:
        raise LoyaltyError("insufficient-points", "amount", f"{points} points needed, the balance is 0",
                           status=409, balance=0, needed=points)
    entry, created = _post(session, account, key, "redeem", -points, value=amount, currency=currency,
                           channel=channel, reference=reference or key, request_hash=fingerprint,
                           details={"point_value": rules.point_value})
    if not created:
        return _replayed(entry, fingerprint), False
    return entry, True


def _replayed(entry: LoyaltyEntry, fingerprint: str) -> LoyaltyEntry:
    if entry.kind != "redeem" or entry.request_hash != fingerprint:
        raise LoyaltyError("idempotency-key-reused", "Idempotency-Key",
                           "this key was used for a different redemption")
    return entry


def redemption(session, entry_id) -> LoyaltyEntry:
    try:
        entry = session.get(LoyaltyEntry, entry_id if isinstance(entry_id, uuid.UUID) else uuid.UUID(str(entry_id)))
    except ValueError:
        entry = None
    if entry is None or entry.kind != "redeem":
        raise LoyaltyError("unknown-redemption", "redemption_id", f"no redemption {entry_id}", status=404)
    return entry


def give_back(session, entry: LoyaltyEntry, key: str, kind: str, value: int | None = None,
              channel: str = "", reference: str = "") -> LoyaltyEntry | None:
    """Credit a redemption back, whole (``void``: the sale it paid never happened) or for ``value`` of it
    (``refund``: goods paid with points came back), once per key; never more than was spent."""
    spent = -entry.points
    back = -int(session.scalar(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        LoyaltyEntry.kind.in_(("void", "refund")), LoyaltyEntry.details["of"].as_string() == entry.key)) or 0)
    points = spent if value is None else round_half_up(spent * min(value, entry.value), entry.value)
    points = min(points, spent - back) if _existing(session, key) is None else 0
    if points <= 0:
        return _existing(session, key)
    account = session.get(LoyaltyAccount, entry.account_id)
    credited, _ = _post(session, account, key, kind, points, value=value if value is not None else entry.value,
                        currency=entry.currency, channel=channel or entry.channel, reference=reference or entry.reference,
                        details={"of": entry.key})
    return credited


def on_return(session, sale_id, return_id, customer_id, returned_value: int, points_refunds: list, channel: str,
              at=None) -> None:
    """A store return (or the whole sale voided): take back what the sale earned in proportion, and give
    back the points of a refund to the points tender (``points_refunds``: [(redemption reference, amount)])."""
    if programme(session) is None:
        return
    reverse(session, f"sale:{sale_id}", f"return:{return_id}", returned_value, channel, return_id, at=at)
    for index, (reference, amount) in enumerate(points_refunds):
        try:
            entry = redemption(session, reference)
        except LoyaltyError:
            continue
        give_back(session, entry, f"refund:{return_id}:{index}", "refund", amount, channel, str(return_id))


def earn_for_sale(session, sale_id, customer_id, items: list[tuple], currency: str, channel: str,
                  payments: list[tuple], at=None) -> LoyaltyEntry | None:
    """A store sale: ``items`` [(product_id, amount)], ``payments`` [(method, amount)]; once per sale id."""
    if customer_id is None or programme(session) is None:
        return None
    paid_with_points = sum(amount for method, amount in payments if method == POINTS)
    return earn(session, customer_id, f"sale:{sale_id}", lines_by_product(session, items), currency, channel,
                sale_id, paid_with_points, at)
