"""Coupons in the back office (HQ, standalone): campaigns and their rules, batches of single-use codes
(issued with the manager's PIN, downloaded as CSV to print), each code's use, and the incidents stores'
offline redemptions raised."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from decimal import Decimal, InvalidOperation

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from pos.coupons import rules, services
from pos.coupons.models import CouponBatch, CouponCampaign, CouponCode, CouponIncident, CouponRedemption
from pos.http import database
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed

HQ_ONLY = ("hq", "standalone")


def _minor(text: str, label: str) -> int:
    """'12,50' or '12.50' → 1250."""
    text = (text or "").strip().replace(" ", "").replace(",", ".")
    if not text:
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Refused(gettext("%(field)s: write an amount like 12.50.", field=label)) from None
    if value < 0 or value > 10**9 or value.as_tuple().exponent < -2:
        raise Refused(gettext("%(field)s: write an amount like 12.50.", field=label))
    return int(value * 100)


def _day(text: str, label: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError:
        raise Refused(gettext("%(field)s: pick a day.", field=label)) from None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)


def _campaign_id(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        abort(404)


@bp.get("/coupons")
@page(MANAGER, nodes=HQ_ONLY)
def coupons(error: str | None = None, status: int = 200):
    with database().unit_of_work(read_only=True) as uow:
        uses = dict(uow.session.execute(select(CouponRedemption.campaign_id, func.count())
                                        .group_by(CouponRedemption.campaign_id)).all())
        campaigns = [(c, uses.get(c.id, 0)) for c in uow.session.scalars(
            select(CouponCampaign).order_by(CouponCampaign.valid_until.desc(), CouponCampaign.name))]
        incidents = list(uow.session.scalars(select(CouponIncident).where(CouponIncident.status == "open")
                                             .order_by(CouponIncident.created_at.desc()).limit(100)))
    today = dt.date.today()
    return render_template("office/coupons.html", campaigns=campaigns, incidents=incidents, error=error,
                           form=request.form, today=today.isoformat(),
                           until=(today + dt.timedelta(days=30)).isoformat(),
                           currency=current_app.extensions["pos.settings"].country.currency), status


@bp.post("/coupons")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_campaign_create():
    form = request.form
    try:
        percent = (form.get("percent") or "").strip().replace(",", ".")
        try:
            percent_bp = int(Decimal(percent) * 100) if percent else 0
        except InvalidOperation:
            raise Refused(gettext("%(field)s: write an amount like 12.50.", field=gettext("Percent off"))) from None
        limit = (form.get("per_customer_limit") or "").strip()
        if limit and not limit.isdigit():
            raise Refused(gettext("%(field)s: a whole number, or empty for no limit.",
                                  field=gettext("Uses per customer")))
        values = dict(name=form.get("name", "")[:120],
                      currency=current_app.extensions["pos.settings"].country.currency,
                      percent_bp=percent_bp, amount=_minor(form.get("amount"), gettext("Amount off")),
                      min_basket=_minor(form.get("min_basket"), gettext("Minimum basket")),
                      product_groups=[g for g in re.split(r"[,\s]+", form.get("product_groups", ""))[:50] if g],
                      per_customer_limit=int(limit) if limit else None,
                      valid_from=_day(form.get("valid_from"), gettext("Valid from")),
                      valid_until=_day(form.get("valid_until"), gettext("Valid until")) + dt.timedelta(days=1),
                      shared_code=(form.get("shared_code") or "").strip()[:32] or None)

        def work(session):
            confirmed(session, form.get("pin", ""), action="coupon_campaign_created", subject=values["name"],
                      details={k: v for k, v in values.items() if k not in ("valid_from", "valid_until")})
            return services.create_campaign(session, **values).id
        campaign_id = change(work)
    except Refused as refused:
        return coupons.__wrapped__(error=refused.message, status=422)
    flash(gettext("Campaign %(name)s was created.", name=values["name"]))
    return redirect(url_for("office.coupon_campaign", campaign_id=campaign_id))


@bp.get("/coupons/<campaign_id>")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_campaign(campaign_id, error: str | None = None, status: int = 200):
    with database().unit_of_work(read_only=True) as uow:
        campaign = uow.session.get(CouponCampaign, _campaign_id(campaign_id))
        if campaign is None:
            abort(404)
        batches = list(uow.session.scalars(select(CouponBatch).where(CouponBatch.campaign_id == campaign.id)
                                           .order_by(CouponBatch.created_at.desc())))
        used = dict(uow.session.execute(
            select(CouponCode.batch_id, func.count()).join(CouponRedemption, CouponRedemption.single_code ==
                                                            CouponCode.code)
            .where(CouponCode.campaign_id == campaign.id).group_by(CouponCode.batch_id)).all())
        redemptions = list(uow.session.scalars(select(CouponRedemption).where(
            CouponRedemption.campaign_id == campaign.id).order_by(CouponRedemption.redeemed_at.desc()).limit(200)))
        incidents = list(uow.session.scalars(select(CouponIncident).where(CouponIncident.campaign_id == campaign.id)
                                             .order_by(CouponIncident.created_at.desc()).limit(100)))
        total = sum(r.discount for r in redemptions)
    return render_template("office/coupon_campaign.html", campaign=campaign, batches=batches, used=used,
                           redemptions=redemptions, incidents=incidents, total=total, error=error,
                           printable=rules.printable,
                           valid_until=(campaign.valid_until - dt.timedelta(days=1)).date()), status


@bp.post("/coupons/<campaign_id>/batches")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_batch_issue(campaign_id):
    form = request.form
    size = (form.get("size") or "").strip()
    store = (form.get("store_code") or "").strip()[:32] or None
    try:
        if not size.isdigit():
            raise Refused(gettext("%(field)s: a whole number.", field=gettext("How many codes")))

        def work(session):
            confirmed(session, form.get("pin", ""), action="coupon_batch_issued", subject=str(campaign_id),
                      details={"size": int(size), "store_code": store})
            return services.issue_batch(session, _campaign_id(campaign_id), int(size), store_code=store,
                                        issued_by=getattr(__import__("flask").g.staff, "login", ""))[0].id
        batch_id = change(work)
    except Refused as refused:
        return coupon_campaign.__wrapped__(campaign_id, error=refused.message, status=422)
    flash(gettext("%(count)s codes were issued. Download them as CSV to print.", count=int(size)))
    return redirect(url_for("office.coupon_campaign", campaign_id=campaign_id, batch=batch_id))


@bp.get("/coupons/batches/<batch_id>.csv")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_batch_csv(batch_id):
    with database().unit_of_work(read_only=True) as uow:
        batch = uow.session.get(CouponBatch, _campaign_id(batch_id))
        if batch is None:
            abort(404)
        campaign = uow.session.get(CouponCampaign, batch.campaign_id)
        rows = services.batch_codes(uow.session, batch.id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "campaign", "valid_until", "store", "redeemed_at"])
    for code, redeemed_at in rows:
        writer.writerow([code, campaign.name, campaign.valid_until.date().isoformat(), batch.store_code or "",
                         redeemed_at.isoformat() if redeemed_at else ""])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="coupons-{batch.created_at:%Y%m%d}-{str(batch.id)[:8]}.csv"'})


@bp.post("/coupons/<campaign_id>/active")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_campaign_active(campaign_id):
    active = request.form.get("active") == "1"
    try:
        def work(session):
            confirmed(session, request.form.get("pin", ""), action="coupon_campaign_active", subject=str(campaign_id),
                      details={"active": active})
            services.set_active(session, _campaign_id(campaign_id), active)
        change(work)
    except Refused as refused:
        return coupon_campaign.__wrapped__(campaign_id, error=refused.message, status=422)
    flash(gettext("The campaign takes codes again.") if active else gettext("The campaign was stopped."))
    return redirect(url_for("office.coupon_campaign", campaign_id=campaign_id))


@bp.post("/coupons/incidents/<incident_id>/resolve")
@page(MANAGER, nodes=HQ_ONLY)
def coupon_incident_resolve(incident_id):
    note = (request.form.get("note") or "").strip()[:200]
    try:
        def work(session):
            confirmed(session, request.form.get("pin", ""), action="coupon_incident_resolved", subject=incident_id,
                      details={"note": note})
            return services.resolve_incident(session, _campaign_id(incident_id), note).campaign_id
        campaign_id = change(work)
    except Refused as refused:
        return coupons.__wrapped__(error=refused.message, status=422)
    flash(gettext("The incident was marked resolved."))
    return redirect(url_for("office.coupon_campaign", campaign_id=campaign_id))
