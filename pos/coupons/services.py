"""Coupons: campaigns, code batches, checking a code against a basket, redeeming it exactly once.

Every function takes a session and plain values and raises ApiProblem naming the field; nothing here knows
about Flask.  The reasons a code is refused are slugs the till translates (pos.coupons.reasons)."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from pos.coupons import rules
from pos.coupons.models import CouponBatch, CouponCampaign, CouponCode, CouponIncident, CouponRedemption
from pos.db import utcnow
from pos.feed.services import record_change
from pos.ids import new_id
from pos.problems import ApiProblem

MAX_BATCH = 100_000


def refused(reason: str, detail: str, status: int = 422, field: str = "code", **extra) -> ApiProblem:
    """A code the till, the web shop or the office cannot use; ``reason`` is what the till translates."""
    return ApiProblem(status, f"coupon-{reason}", f"{field}: {detail}", field=field, reason=reason, **extra)


# --- campaigns and codes -------------------------------------------------------------------------------

def create_campaign(session, *, name: str, currency: str, valid_from: dt.datetime, valid_until: dt.datetime,
                    percent_bp: int = 0, amount: int = 0, min_basket: int = 0, product_groups=(),
                    per_customer_limit: int | None = None, shared_code: str | None = None) -> CouponCampaign:
    name = (name or "").strip()
    if not name:
        raise ApiProblem(422, "invalid-field", "name: give the campaign a name", field="name")
    if bool(percent_bp) == bool(amount):
        raise ApiProblem(422, "invalid-field", "percent: give either a percent or an amount off", field="percent")
    if percent_bp and not 0 < percent_bp < 10000:
        raise ApiProblem(422, "invalid-field", "percent: must be above 0 and below 100", field="percent")
    if amount < 0:
        raise ApiProblem(422, "invalid-field", "amount: must be above 0", field="amount")
    if min_basket < 0:
        raise ApiProblem(422, "invalid-field", "min_basket: cannot be negative", field="min_basket")
    if per_customer_limit is not None and per_customer_limit < 1:
        raise ApiProblem(422, "invalid-field", "per_customer_limit: at least 1, or none", field="per_customer_limit")
    if valid_until <= valid_from:
        raise ApiProblem(422, "invalid-field", "valid_until: must be after valid_from", field="valid_until")
    if session.scalar(select(CouponCampaign.id).where(CouponCampaign.name == name)) is not None:
        raise ApiProblem(409, "campaign-exists", f"name: a campaign named {name!r} exists", field="name")
    code = rules.normalise(shared_code) if shared_code else None
    if code is not None:
        if not 3 <= len(code) <= 32 or not code.isalnum():
            raise ApiProblem(422, "invalid-field", "shared_code: 3 to 32 letters and digits", field="shared_code")
        if rules.looks_single_use(code) or session.get(CouponCode, code) is not None or session.scalar(
                select(CouponCampaign.id).where(CouponCampaign.shared_code == code)) is not None:
            raise ApiProblem(409, "code-taken", f"shared_code: {code} is taken", field="shared_code")
    groups = sorted({g.strip() for g in product_groups if g and g.strip()})
    campaign = CouponCampaign(id=new_id(), name=name, currency=currency, percent_bp=percent_bp, amount=amount,
                              min_basket=min_basket, product_groups=groups, per_customer_limit=per_customer_limit,
                              valid_from=valid_from, valid_until=valid_until, shared_code=code, active=True,
                              created_at=utcnow())
    session.add(campaign)
    session.flush()
    publish_campaign(session, campaign)
    return campaign


def publish_campaign(session, campaign: CouponCampaign) -> None:
    """Stores keep a copy (HQ's feed), so they can take its codes while cut off from HQ."""
    record_change(session, "coupon_campaign", campaign.id, campaign_json(campaign), op="updated")


def set_active(session, campaign_id, active: bool) -> CouponCampaign:
    campaign = get_campaign(session, campaign_id)
    campaign.active = active
    session.flush()
    publish_campaign(session, campaign)
    return campaign


def get_campaign(session, campaign_id) -> CouponCampaign:
    campaign = session.get(CouponCampaign, campaign_id) if isinstance(campaign_id, uuid.UUID) else None
    if campaign is None:
        raise ApiProblem(404, "unknown-campaign", f"campaign_id: no campaign {campaign_id}", field="campaign_id")
    return campaign


def issue_batch(session, campaign_id, size: int, store_code: str | None = None,
                issued_by: str = "") -> tuple[CouponBatch, list[str]]:
    campaign = get_campaign(session, campaign_id)
    if not 1 <= size <= MAX_BATCH:
        raise ApiProblem(422, "invalid-field", f"size: between 1 and {MAX_BATCH}", field="size")
    batch = CouponBatch(id=new_id(), campaign_id=campaign.id, size=size, store_code=store_code or None,
                        issued_by=issued_by, created_at=utcnow())
    session.add(batch)
    session.flush()
    codes: set[str] = set()
    while len(codes) < size:
        codes.add(rules.new_single_use_code())
    ordered = sorted(codes)
    session.execute(CouponCode.__table__.insert(),
                    [{"code": c, "campaign_id": campaign.id, "batch_id": batch.id} for c in ordered])
    if batch.store_code:  # only the store it is allocated to keeps it (pos.coupons.services.apply_batch)
        record_change(session, "coupon_batch", batch.id, {"id": str(batch.id), "campaign_id": str(campaign.id),
                                                           "store_code": batch.store_code, "codes": ordered,
                                                           "issued_by": issued_by})
    return batch, ordered


def batch_codes(session, batch_id) -> list[tuple[str, str | None]]:
    """(printable code, when it was redeemed or None), in code order."""
    rows = session.execute(select(CouponCode.code, CouponRedemption.redeemed_at)
                           .outerjoin(CouponRedemption, CouponRedemption.single_code == CouponCode.code)
                           .where(CouponCode.batch_id == batch_id).order_by(CouponCode.code)).all()
    return [(rules.printable(code), at) for code, at in rows]


# --- checking a code -----------------------------------------------------------------------------------

def find(session, raw_code: str) -> tuple[CouponCampaign, str, CouponCode | None]:
    """(campaign, code as stored, the single-use code or None for a campaign code)."""
    code = rules.normalise(raw_code or "")
    if not code:
        raise refused("empty", "type or scan the coupon's code")
    single = session.get(CouponCode, code)
    if single is not None:
        return session.get(CouponCampaign, single.campaign_id), code, single
    campaign = session.scalars(select(CouponCampaign).where(CouponCampaign.shared_code == code)).one_or_none()
    if campaign is not None:
        return campaign, code, None
    if rules.looks_single_use(code) and not rules.check_digit_ok(code):
        raise refused("mistyped", f"{rules.printable(code)} is not a valid code; check it and type it again")
    raise refused("unknown", f"no coupon {raw_code.strip()}", status=404)


def rule_of(campaign: CouponCampaign, code: str, single_use: bool) -> dict:
    return {"campaign_id": str(campaign.id), "campaign": campaign.name, "code": code, "single_use": single_use,
            "currency": campaign.currency, "percent_bp": campaign.percent_bp, "amount": campaign.amount,
            "min_basket": campaign.min_basket, "product_groups": list(campaign.product_groups or []),
            "per_customer_limit": campaign.per_customer_limit}


def customer_uses(session, campaign_id, customer_id) -> int:
    return session.scalar(select(func.count()).select_from(CouponRedemption).where(
        CouponRedemption.campaign_id == campaign_id, CouponRedemption.customer_id == customer_id)) or 0


def check(session, campaign: CouponCampaign, code: str, single: CouponCode | None, *, currency: str,
          customer_id, now: dt.datetime, customer_limit: bool = True) -> dict:
    """The code's rules if it may be used now by this customer, else a refusal with the reason."""
    if not campaign.active:
        raise refused("inactive", "this campaign was stopped")
    if now < campaign.valid_from:
        raise refused("not-yet-valid", f"valid from {campaign.valid_from.date().isoformat()}",
                      valid_from=campaign.valid_from.isoformat())
    if now >= campaign.valid_until:
        raise refused("expired", f"expired on {campaign.valid_until.date().isoformat()}",
                      valid_until=campaign.valid_until.isoformat())
    if campaign.currency != currency:
        raise refused("wrong-currency", f"this coupon is in {campaign.currency}, not {currency}")
    if single is not None and session.scalar(
            select(CouponRedemption.id).where(CouponRedemption.single_code == code)) is not None:
        raise refused("already-redeemed", "this single-use code was redeemed already", status=409)
    if campaign.per_customer_limit is not None:
        if customer_id is None:
            raise refused("customer-required", "this coupon is limited per customer; identify the customer first")
        if customer_limit and customer_uses(session, campaign.id, customer_id) >= campaign.per_customer_limit:
            raise refused("limit-reached", f"this customer has used this campaign "
                          f"{campaign.per_customer_limit} time(s), its limit", status=409)
    return rule_of(campaign, code, single is not None)


def evaluate(rule: dict, lines: list[dict]) -> dict:
    """``lines``: {amount (after the line's own discounts), product_group}; what the coupon takes off each."""
    amounts = [int(line["amount"]) for line in lines]
    groups = [line.get("product_group") or "" for line in lines]
    shares, reason = rules.line_shares(rule, amounts, groups)
    return {"code": rules.printable(rule["code"]), "campaign": rule["campaign"], "applies": reason is None,
            "reason": reason, "discount": sum(shares), "currency": rule["currency"], "line_discounts": shares,
            "eligible_amount": rules.eligible_value(rule, amounts, groups), "min_basket": rule["min_basket"]}


def validate(session, raw_code: str, *, currency: str, customer_id, lines: list[dict],
             now: dt.datetime | None = None) -> dict:
    campaign, code, single = find(session, raw_code)
    rule = check(session, campaign, code, single, currency=currency, customer_id=customer_id, now=now or utcnow())
    return evaluate(rule, lines)


# --- redeeming -----------------------------------------------------------------------------------------

def _lock_customer(session, campaign_id, customer_id) -> None:
    """Two redemptions of one campaign by one customer queue behind each other (PostgreSQL; SQLite has a
    single writer), so a per-customer limit holds under races."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(f"{campaign_id}:{customer_id}".encode()).digest()[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def _insert_once(session, values: dict, conflict: str) -> bool:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (dialect.insert(CouponRedemption).values(**values)
                 .on_conflict_do_nothing(index_elements=[conflict]).returning(CouponRedemption.id))
    return session.execute(statement).first() is not None


def redeem(session, raw_code: str, *, currency: str, customer_id, lines: list[dict], channel: str,
           reference: str, idempotency_key: str, now: dt.datetime | None = None) -> tuple[dict, bool]:
    """Redeem a code for a basket: (the redemption, created).  The same key answers with the first
    redemption; a single-use code goes to whoever commits first, the others get coupon-already-redeemed."""
    now = now or utcnow()
    fingerprint = hashlib.sha256(f"{rules.normalise(raw_code or '')}|{customer_id}|{reference}|"
                                 f"{[(int(l['amount']), l.get('product_group') or '') for l in lines]}".encode()
                                 ).hexdigest()
    earlier = _earlier(session, idempotency_key, fingerprint)
    if earlier is not None:
        return earlier, False
    campaign, code, single = find(session, raw_code)
    if customer_id is not None and campaign.per_customer_limit is not None:
        _lock_customer(session, campaign.id, customer_id)
    rule = check(session, campaign, code, single, currency=currency, customer_id=customer_id, now=now)
    result = evaluate(rule, lines)
    if not result["applies"]:
        raise refused(result["reason"], _NOT_APPLYING[result["reason"]], min_basket=rule["min_basket"])
    values = {"id": new_id(), "campaign_id": campaign.id, "code": code,
              "single_code": code if single is not None else None, "customer_id": customer_id, "channel": channel,
              "reference": reference, "idempotency_key": idempotency_key, "request_hash": fingerprint,
              "discount": result["discount"], "currency": currency, "offline": False, "redeemed_at": now}
    if single is not None:
        if not _insert_once(session, values, "single_code"):
            again = _earlier(session, idempotency_key, fingerprint)
            if again is not None:
                return again, False
            raise refused("already-redeemed", "this single-use code was redeemed already", status=409)
    else:
        session.execute(CouponRedemption.__table__.insert().values(**values))
    return {**redemption_json(session.get(CouponRedemption, values["id"])), "line_discounts":
            result["line_discounts"]}, True


_NOT_APPLYING = {"no-eligible-goods": "none of the basket's goods is in the coupon's product groups",
                 "below-minimum": "the goods it applies to are below the coupon's minimum basket"}


def _earlier(session, idempotency_key: str, fingerprint: str) -> dict | None:
    earlier = session.scalars(select(CouponRedemption)
                              .where(CouponRedemption.idempotency_key == idempotency_key)).one_or_none()
    if earlier is None:
        return None
    if earlier.request_hash != fingerprint:
        raise ApiProblem(422, "idempotency-key-reused", "Idempotency-Key: this key was used for another redemption",
                         field="Idempotency-Key")
    return redemption_json(earlier)


def redemption_json(redemption: CouponRedemption) -> dict:
    return {"id": str(redemption.id), "code": rules.printable(redemption.code),
            "campaign_id": str(redemption.campaign_id), "customer_id": str(redemption.customer_id)
            if redemption.customer_id else None, "channel": redemption.channel, "reference": redemption.reference,
            "discount": redemption.discount, "currency": redemption.currency, "offline": redemption.offline,
            "redeemed_at": redemption.redeemed_at.isoformat()}


def campaign_json(campaign: CouponCampaign, uses: int = 0) -> dict:
    return {"id": str(campaign.id), "name": campaign.name, "currency": campaign.currency,
            "percent_bp": campaign.percent_bp, "amount": campaign.amount, "min_basket": campaign.min_basket,
            "product_groups": list(campaign.product_groups or []), "per_customer_limit": campaign.per_customer_limit,
            "valid_from": campaign.valid_from.isoformat(), "valid_until": campaign.valid_until.isoformat(),
            "shared_code": campaign.shared_code, "active": campaign.active, "uses": uses}


def lines_of(session, lines: list) -> list[dict]:
    """A caller's basket lines (sku or product group, amount) as the rules read them."""
    from pos.catalogue.models import Product

    skus = {line.sku for line in lines if line.sku}
    groups = dict(session.execute(select(Product.sku, Product.product_group).where(Product.sku.in_(skus))).all()
                  ) if skus else {}
    out = []
    for index, line in enumerate(lines):
        if line.sku is not None:
            if line.sku not in groups:
                raise ApiProblem(422, "unknown-sku", f"lines[{index}].sku: no product {line.sku}",
                                 field=f"lines[{index}].sku")
            group = groups[line.sku]
        elif line.product_group is not None:
            group = line.product_group
        else:
            raise ApiProblem(422, "invalid-field", f"lines[{index}]: give its sku or product_group",
                             field=f"lines[{index}]")
        out.append({"amount": line.amount, "product_group": group or ""})
    return out


# --- a store's redemptions taken while cut off from HQ ---------------------------------------------------

def take_store_redemption(session, store_code: str, p: dict) -> CouponIncident | None:
    """HQ takes a redemption a store made without it.  The sale happened and the customer got the discount,
    so the use is always recorded; what broke a rule (a single-use code used elsewhere too, a customer past
    the campaign's limit) becomes a named incident, never a silent overrun.  Applied twice: nothing twice."""
    key = f"store:{store_code}:{p['idempotency_key']}" if p.get("idempotency_key") else f"store:{store_code}:{p['id']}"
    if session.scalar(select(CouponRedemption.id).where(CouponRedemption.idempotency_key == key)) is not None:
        return None
    campaign = session.get(CouponCampaign, uuid.UUID(p["campaign_id"]))
    if campaign is None:
        raise LookupError(f"campaign {p['campaign_id']} is not known at HQ")
    code = rules.normalise(p["code"])
    customer_id = uuid.UUID(p["customer_id"]) if p.get("customer_id") else None
    single = session.get(CouponCode, code) is not None
    if customer_id is not None and campaign.per_customer_limit is not None:
        _lock_customer(session, campaign.id, customer_id)
    uses = customer_uses(session, campaign.id, customer_id) if customer_id is not None else 0
    values = {"id": new_id(), "campaign_id": campaign.id, "code": code, "single_code": code if single else None,
              "customer_id": customer_id, "channel": f"store:{store_code}", "reference": p.get("reference", ""),
              "idempotency_key": key, "request_hash": "", "discount": p["discount"], "currency": p["currency"],
              "offline": True, "redeemed_at": dt.datetime.fromisoformat(p["redeemed_at"])}
    incident = None
    if single and not _insert_once(session, values, "single_code"):
        values["single_code"] = None
        session.execute(CouponRedemption.__table__.insert().values(**values))
        incident = ("single-use-code-reused", f"single-use code {rules.printable(code)} was redeemed already "
                    f"when store {store_code} took it offline on sale {values['reference']}")
    elif not single:
        session.execute(CouponRedemption.__table__.insert().values(**values))
    if incident is None and customer_id is not None and campaign.per_customer_limit is not None \
            and uses >= campaign.per_customer_limit:
        incident = ("per-customer-limit-exceeded", f"store {store_code} took {campaign.name!r} offline for a "
                    f"customer who had used it {uses} time(s), its limit being {campaign.per_customer_limit}")
    if incident is None:
        return None
    row = CouponIncident(id=new_id(), kind=incident[0], reference=key, code=code, campaign_id=campaign.id,
                         customer_id=customer_id, detail=incident[1][:500], status="open", created_at=utcnow())
    session.add(row)
    session.flush()
    return row


def resolve_incident(session, incident_id, note: str = "") -> CouponIncident:
    incident = session.get(CouponIncident, incident_id) if isinstance(incident_id, uuid.UUID) else None
    if incident is None:
        raise ApiProblem(404, "unknown-incident", f"incident_id: no coupon incident {incident_id}",
                         field="incident_id")
    incident.status = "resolved"
    if note:
        incident.detail = f"{incident.detail} — {note}"[:500]
    return incident


# --- what HQ tells its stores ----------------------------------------------------------------------------

def campaign_payload(campaign: CouponCampaign) -> dict:
    return campaign_json(campaign)


def apply_campaign(session, p: dict) -> None:
    """A store's copy of a campaign (from HQ's feed): what it needs to take its codes while cut off."""
    campaign = session.get(CouponCampaign, uuid.UUID(p["id"]))
    if campaign is None:
        campaign = CouponCampaign(id=uuid.UUID(p["id"]), created_at=utcnow())
        session.add(campaign)
    campaign.name, campaign.currency = p["name"], p["currency"]
    campaign.percent_bp, campaign.amount, campaign.min_basket = p["percent_bp"], p["amount"], p["min_basket"]
    campaign.product_groups, campaign.per_customer_limit = p["product_groups"], p["per_customer_limit"]
    campaign.valid_from = dt.datetime.fromisoformat(p["valid_from"])
    campaign.valid_until = dt.datetime.fromisoformat(p["valid_until"])
    campaign.shared_code, campaign.active = p["shared_code"], p["active"]
    session.flush()


def apply_batch(session, p: dict, store_code: str | None) -> None:
    """Single-use codes HQ allocated to this store; other stores' batches are not kept."""
    if not store_code or p.get("store_code") != store_code:
        return
    if session.get(CouponBatch, uuid.UUID(p["id"])) is not None:
        return
    session.add(CouponBatch(id=uuid.UUID(p["id"]), campaign_id=uuid.UUID(p["campaign_id"]), size=len(p["codes"]),
                            store_code=store_code, issued_by=p.get("issued_by", ""), created_at=utcnow()))
    session.flush()
    session.execute(CouponCode.__table__.insert(), [{"code": c, "campaign_id": uuid.UUID(p["campaign_id"]),
                                                      "batch_id": uuid.UUID(p["id"])} for c in p["codes"]])
