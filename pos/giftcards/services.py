"""Gift cards at the node that holds their balance (HQ, or a standalone node): issue, look up, redeem,
refund, lease an offline allowance to a store, apply what a store spent offline, expire.

Exactly once: every movement carries an idempotency key, unique in ``gift_card_entry``; the card's row is
locked (PostgreSQL ``FOR UPDATE``; SQLite writers are serialised) before the key is looked at, so of two
requests racing with one key the second sees the first's entry and replays it, and of two requests with
different keys on one card the second sees the balance the first left."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import secrets

from sqlalchemy import func, select

from pos.db import utcnow
from pos.giftcards.models import GiftCard, GiftCardEntry, GiftCardIncident, GiftCardLease
from pos.ids import new_id
from pos.problems import ApiProblem

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud, typed from a print without doubt
PREFIX = "GC"
CODE_LENGTH = 16  # 80 random bits: not guessable, even with many tries a second
CODE = re.compile(rf"^{PREFIX}[{ALPHABET}]{{{CODE_LENGTH}}}$")
MAX_AMOUNT = 10 ** 9  # minor units: ten million złoty, far above any card


class GiftCardError(ApiProblem):
    """A refusal of the gift-card rules (unknown, expired, not enough, another currency, key reused)."""


@dataclasses.dataclass(frozen=True)
class Policy:
    valid_days: int = 365
    offline_allowance: int = 10_000  # minor units a store may hold per card to spend without HQ
    lease_hours: int = 72

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(config.get("POS_GIFT_CARD_VALID_DAYS", 365), config.get("POS_GIFT_CARD_OFFLINE_ALLOWANCE", 10_000),
                   config.get("POS_GIFT_CARD_LEASE_HOURS", 72))


def new_code() -> str:
    return PREFIX + "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(raw: str | None, field: str = "code") -> str:
    """What a cashier typed or a scanner sent: spaces and dashes dropped, upper case."""
    code = re.sub(r"[\s-]", "", raw or "").upper()
    if not CODE.match(code):
        raise GiftCardError(422, "invalid-gift-card-code",
                            f"{field}: not a gift card code (GC and 16 letters or digits)", field=field)
    return code


def printed(code: str) -> str:
    """GC-XXXX-XXXX-XXXX-XXXX on paper and screens; the barcode (Code 128) carries the plain code."""
    body = code[len(PREFIX):]
    return "-".join([PREFIX] + [body[i:i + 4] for i in range(0, len(body), 4)])


def fingerprint(**values) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _card(session, code: str, *, lock: bool = False, field: str = "code") -> GiftCard:
    statement = select(GiftCard).where(GiftCard.code == code)
    if lock:
        statement = statement.with_for_update()
    card = session.scalars(statement).one_or_none()
    if card is None:
        raise GiftCardError(404, "unknown-gift-card", f"{field}: no gift card {printed(code)}", field=field)
    return card


def _leases(session, card: GiftCard, now: dt.datetime, *, but: str | None = None) -> int:
    """What stores hold of the card (live leases), other than store ``but``."""
    statement = select(func.coalesce(func.sum(GiftCardLease.amount), 0)).where(
        GiftCardLease.card_id == card.id, GiftCardLease.expires_at > now)
    if but is not None:
        statement = statement.where(GiftCardLease.store != but)
    return int(session.scalar(statement))


def _own_lease(session, card: GiftCard, store: str | None) -> GiftCardLease | None:
    if store is None:
        return None
    return session.scalars(select(GiftCardLease).where(GiftCardLease.card_id == card.id,
                                                       GiftCardLease.store == store)).one_or_none()


def _usable(card: GiftCard, now: dt.datetime, field: str) -> None:
    if card.status != "active":
        raise GiftCardError(409, "gift-card-cancelled", f"{field}: the gift card {printed(card.code)} is cancelled",
                            field=field)
    if card.expires_at <= now:
        raise GiftCardError(409, "gift-card-expired",
                            f"{field}: the gift card {printed(card.code)} expired on {card.expires_at.date()}",
                            field=field, expired_at=card.expires_at.isoformat())


def card_json(session, card: GiftCard, now: dt.datetime | None = None, store: str | None = None) -> dict:
    now = now or utcnow()
    held = _leases(session, card, now, but=store)
    expired = card.expires_at <= now
    return {"code": card.code, "printed": printed(card.code), "currency": card.currency,
            "balance": card.balance, "initial_amount": card.initial_amount,
            "spendable": 0 if expired or card.status != "active" else max(0, card.balance - held),
            "held_by_stores": held, "expires_at": card.expires_at.isoformat(), "expired": expired,
            "status": card.status, "issued_at": card.issued_at.isoformat(), "issued_by": card.issued_by}


def _entry(session, card: GiftCard, kind: str, amount: int, key: str, request_hash: str, channel: str,
           reference: str, now: dt.datetime, offline: bool = False) -> GiftCardEntry:
    entry = GiftCardEntry(id=new_id(), card_id=card.id, kind=kind, amount=amount, idempotency_key=key,
                          request_hash=request_hash, channel=channel, reference=reference or "", offline=offline,
                          balance_after=card.balance, created_at=now)
    session.add(entry)
    session.flush()
    return entry


def _earlier(session, key: str, request_hash: str, field: str = "Idempotency-Key") -> GiftCardEntry | None:
    entry = session.scalars(select(GiftCardEntry).where(GiftCardEntry.idempotency_key == key)).one_or_none()
    if entry is not None and request_hash and entry.request_hash != request_hash:
        raise GiftCardError(422, "idempotency-key-reused",
                            f"{field}: this key was used for another gift-card movement", field=field)
    return entry


def issue(session, *, amount: int, currency: str, key: str, issued_by: str, now: dt.datetime | None = None,
          policy: Policy = Policy(), expires_at: dt.datetime | None = None, sale_id=None, customer_id=None,
          card_id=None, code: str | None = None) -> tuple[GiftCard, bool]:
    """A new card with ``amount`` on it, or the one this key made before (a retry, a second worker)."""
    now = now or utcnow()
    if not 0 < amount <= MAX_AMOUNT:
        raise GiftCardError(422, "invalid-amount", f"amount: between 1 and {MAX_AMOUNT} minor units", field="amount")
    earlier = session.scalars(select(GiftCard).where(GiftCard.issue_key == key)).one_or_none()
    if earlier is not None:
        return earlier, False
    card = GiftCard(id=card_id or new_id(), code=code or new_code(), currency=currency, initial_amount=amount,
                    balance=amount, expires_at=expires_at or now + dt.timedelta(days=policy.valid_days),
                    status="active", issued_at=now, issued_by=issued_by, sale_id=sale_id, customer_id=customer_id,
                    issue_key=key)
    session.add(card)
    session.flush()
    _entry(session, card, "issue", amount, f"issue:{key}", "", issued_by, str(sale_id or ""), now)
    return card, True


def lookup(session, code: str, *, store: str | None = None, now: dt.datetime | None = None,
           policy: Policy | None = None) -> dict:
    """The card's balance; asked by a store (``policy`` given), also the store's offline allowance."""
    now = now or utcnow()
    card = _card(session, code, lock=policy is not None)
    answer = card_json(session, card, now, store)
    if policy is not None and store is not None:
        answer["allowance"] = _top_up(session, card, store, now, policy)
    return answer


def _top_up(session, card: GiftCard, store: str, now: dt.datetime, policy: Policy) -> dict | None:
    """Lease the store up to ``offline_allowance`` of what nobody else holds (first online use, and again
    at each later one): the store may then spend that much of the card while HQ is out of reach."""
    lease = _own_lease(session, card, store)
    if card.status != "active" or card.expires_at <= now:
        if lease is not None:
            lease.amount = 0
        return None
    free = max(0, card.balance - _leases(session, card, now, but=store))
    amount = min(policy.offline_allowance, free)
    until = min(now + dt.timedelta(hours=policy.lease_hours), card.expires_at)
    if lease is None:
        lease = GiftCardLease(id=new_id(), card_id=card.id, store=store, amount=amount, expires_at=until,
                              granted_at=now)
        session.add(lease)
    else:
        lease.amount, lease.expires_at, lease.granted_at = amount, until, now
    session.flush()
    return {"card_id": str(card.id), "amount": amount, "expires_at": until.isoformat(),
            "card_expires_at": card.expires_at.isoformat()}


def redeem(session, code: str, amount: int, currency: str, key: str, *, channel: str, reference: str = "",
           store: str | None = None, policy: Policy | None = None, now: dt.datetime | None = None,
           field: str = "code") -> dict:
    """Spend ``amount`` of the card once per ``key``.  A store spending online may use its own lease too
    and gets its allowance topped up in the same answer."""
    now = now or utcnow()
    request_hash = fingerprint(code=code, amount=amount, currency=currency)
    card = _card(session, code, lock=True, field=field)
    earlier = _earlier(session, key, request_hash)
    if earlier is not None:
        return _redemption_json(session, card, earlier, now, store, replayed=True)
    if not 0 < amount <= MAX_AMOUNT:
        raise GiftCardError(422, "invalid-amount", f"amount: between 1 and {MAX_AMOUNT} minor units", field="amount")
    if currency != card.currency:
        raise GiftCardError(422, "gift-card-currency",
                            f"currency: the gift card is in {card.currency}, not {currency}", field="currency")
    _usable(card, now, field)
    lease = _own_lease(session, card, store)
    own = lease.amount if lease is not None and lease.expires_at > now else 0
    free = max(0, card.balance - _leases(session, card, now, but=store) - own)
    if amount > free + own:
        raise GiftCardError(409, "gift-card-insufficient",
                            f"amount: the gift card has {free + own} to spend, {amount} asked",
                            field="amount", spendable=free + own, currency=card.currency)
    if amount > free:
        lease.amount -= amount - free  # the store spends what it holds itself last
    card.balance -= amount
    entry = _entry(session, card, "redeem", -amount, key, request_hash, channel, reference, now)
    answer = _redemption_json(session, card, entry, now, store)
    if policy is not None and store is not None:
        answer["allowance"] = _top_up(session, card, store, now, policy)
    return answer


def _redemption_json(session, card, entry: GiftCardEntry, now, store, replayed: bool = False) -> dict:
    return {"id": str(entry.id), "code": card.code, "currency": card.currency, "amount": -entry.amount,
            "balance": entry.balance_after, "card": card_json(session, card, now, store),
            "idempotency_key": entry.idempotency_key, "created_at": entry.created_at.isoformat(),
            "replayed": replayed}


def refund(session, code: str, amount: int, key: str, *, channel: str, reference: str = "",
           now: dt.datetime | None = None) -> dict:
    """Goods paid by the card came back: the money goes back on the card (once per key)."""
    now = now or utcnow()
    request_hash = fingerprint(code=code, amount=amount, refund=True)
    card = _card(session, code, lock=True)
    earlier = _earlier(session, key, request_hash)
    if earlier is not None:
        return {"id": str(earlier.id), "code": card.code, "amount": earlier.amount, "balance": earlier.balance_after,
                "replayed": True}
    if not 0 < amount <= MAX_AMOUNT:
        raise GiftCardError(422, "invalid-amount", f"amount: between 1 and {MAX_AMOUNT} minor units", field="amount")
    card.balance += amount
    entry = _entry(session, card, "refund", amount, key, request_hash, channel, reference, now)
    return {"id": str(entry.id), "code": card.code, "amount": amount, "balance": card.balance, "replayed": False}


def apply_offline_spend(session, store: str, payload: dict) -> GiftCardIncident | None:
    """HQ applies what a store spent from its allowance while offline (its change feed, on reconnect).

    Taken from the store's lease first (a spend made before the lease ran out), then from what nobody
    holds; what the card no longer has is never taken (no negative balance): it becomes an incident."""
    key, amount, code = payload["key"], int(payload["amount"]), payload["code"]
    at = dt.datetime.fromisoformat(payload["at"])
    card = _card(session, code, lock=True)
    if _earlier(session, key, "") is not None or session.scalars(
            select(GiftCardIncident).where(GiftCardIncident.idempotency_key == key)).first() is not None:
        return None
    now = utcnow()
    lease = _own_lease(session, card, store)
    from_lease = min(amount, lease.amount) if lease is not None and lease.expires_at > at else 0
    if lease is not None:
        lease.amount -= from_lease
    free = max(0, card.balance - from_lease - _leases(session, card, now, but=store))
    from_free = min(amount - from_lease, free)
    taken = from_lease + from_free
    card.balance -= taken
    if taken:
        _entry(session, card, "redeem", -taken, key, fingerprint(code=code, amount=amount, currency=card.currency),
               f"store:{store}", payload.get("reference", ""), at, offline=True)
    if taken == amount:
        return None
    incident = GiftCardIncident(id=new_id(), kind="offline-overspend", card_id=card.id, store=store,
                                idempotency_key=key, asked=amount, taken=taken, short=amount - taken,
                                currency=card.currency, status="open", created_at=now,
                                details={"reference": payload.get("reference", ""), "spent_at": payload["at"],
                                         "lease_left": lease.amount if lease else 0, "balance_after": card.balance})
    session.add(incident)
    session.flush()
    return incident


def apply_store_change(session, store: str, payload: dict) -> None:
    """One ``gift_card`` change of a store's push: a card it sold, an offline spend, a refund to a card."""
    op = payload["op"]
    if op == "issued":
        issue(session, amount=int(payload["amount"]), currency=payload["currency"], key=payload["key"],
              issued_by=f"store:{store}", now=dt.datetime.fromisoformat(payload["at"]),
              expires_at=dt.datetime.fromisoformat(payload["expires_at"]), sale_id=payload.get("reference") or None,
              card_id=payload["card_id"], code=payload["code"])
    elif op == "redeemed_offline":
        apply_offline_spend(session, store, payload)
    elif op == "refunded":
        refund(session, payload["code"], int(payload["amount"]), payload["key"], channel=f"store:{store}",
               reference=payload.get("reference", ""), now=dt.datetime.fromisoformat(payload["at"]))


def expire_cards(session, now: dt.datetime | None = None) -> int:
    """Cards past their expiry lose what is left on them (one ``expire`` entry each; leases end)."""
    now = now or utcnow()
    cards = session.scalars(select(GiftCard).where(GiftCard.expires_at <= now, GiftCard.balance > 0)
                            .with_for_update()).all()
    for card in cards:
        left = card.balance
        card.balance = 0
        _entry(session, card, "expire", -left, f"expire:{card.id}", "", "hq", "", now)
        for lease in session.scalars(select(GiftCardLease).where(GiftCardLease.card_id == card.id)):
            lease.amount = 0
    return len(cards)


def liability(session, now: dt.datetime | None = None) -> list[dict]:
    """Per currency: what the shop owes on live cards, and what expired unspent (breakage)."""
    now = now or utcnow()
    rows = {}
    for currency, count, balance in session.execute(
            select(GiftCard.currency, func.count(), func.coalesce(func.sum(GiftCard.balance), 0))
            .where(GiftCard.expires_at > now, GiftCard.status == "active").group_by(GiftCard.currency)):
        rows[currency] = {"currency": currency, "cards": count, "outstanding": int(balance),
                          "expired_unredeemed": 0, "expired_cards": 0, "issued": 0, "redeemed": 0}
    empty = lambda c: {"currency": c, "cards": 0, "outstanding": 0, "expired_unredeemed": 0,  # noqa: E731
                       "expired_cards": 0, "issued": 0, "redeemed": 0}
    for currency, count, balance in session.execute(
            select(GiftCard.currency, func.count(), func.coalesce(func.sum(GiftCard.balance), 0))
            .where(GiftCard.expires_at <= now).group_by(GiftCard.currency)):
        row = rows.setdefault(currency, empty(currency))
        row["expired_cards"] = count
        row["expired_unredeemed"] += int(balance)  # not yet written off by the expiry job
    for currency, kind, total in session.execute(
            select(GiftCard.currency, GiftCardEntry.kind, func.coalesce(func.sum(GiftCardEntry.amount), 0))
            .join(GiftCard, GiftCard.id == GiftCardEntry.card_id).group_by(GiftCard.currency, GiftCardEntry.kind)):
        row = rows.setdefault(currency, empty(currency))
        if kind == "expire":
            row["expired_unredeemed"] += -int(total)
        elif kind == "issue":
            row["issued"] += int(total)
        elif kind == "redeem":
            row["redeemed"] += -int(total)
    return sorted(rows.values(), key=lambda r: r["currency"])


def entries(session, card: GiftCard) -> list[GiftCardEntry]:
    return list(session.scalars(select(GiftCardEntry).where(GiftCardEntry.card_id == card.id)
                                .order_by(GiftCardEntry.created_at, GiftCardEntry.id)))


def incidents(session, status: str = "open") -> list[GiftCardIncident]:
    statement = select(GiftCardIncident).order_by(GiftCardIncident.created_at.desc())
    if status != "all":
        statement = statement.where(GiftCardIncident.status == status)
    return list(session.scalars(statement))


def resolve_incident(session, incident_id, note: str, now: dt.datetime | None = None) -> GiftCardIncident:
    incident = session.get(GiftCardIncident, incident_id)
    if incident is None:
        raise GiftCardError(404, "unknown-incident", f"incident_id: no incident {incident_id}", field="incident_id")
    if not note.strip():
        raise GiftCardError(422, "note-required", "note: say how it was settled", field="note")
    incident.status, incident.note, incident.resolved_at = "resolved", note.strip()[:500], now or utcnow()
    return incident
