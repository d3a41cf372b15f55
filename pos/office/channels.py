"""Marketplaces in the back office (HQ): per channel the listings with what the buyer sees (the figure the
channel confirmed), the last push, and per-SKU incidents with the channel's reason and a retry."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import select

from pos.http import database
from pos.office.paging import like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed
from sync.channels.accounts import CHANNELS, configured
from sync.channels.models import ChannelIncident, ChannelListing
from sync.channels.status import channels_status

HQ_ONLY = ("hq", "standalone")
FILTERS = ("pending", "failing")


@bp.get("/channels")
@page(MANAGER, nodes=HQ_ONLY)
def channels():
    with database().unit_of_work(read_only=True) as uow:
        status = channels_status(uow.session, current_app.config)
    return render_template("office/channels.html", status=status)


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        abort(404)
    return channel


@bp.get("/channels/<channel>")
@page(MANAGER, nodes=HQ_ONLY)
def channel_listings(channel, error: str | None = None, status: int = 200):
    _channel(channel)
    query = search_text()
    shown = request.args.get("show", "")
    with database().unit_of_work(read_only=True) as uow:
        statement = select(ChannelListing).where(ChannelListing.channel == channel)
        if query:
            statement = statement.where(ChannelListing.sku.ilike(like(query)) |
                                        ChannelListing.listing_id.ilike(like(query)))
        if shown == "pending":
            statement = statement.where(ChannelListing.wanted_seq > ChannelListing.pushed_seq)
        elif shown == "failing":
            statement = statement.where(ChannelListing.last_error.is_not(None))
        listed = paged(uow.session, statement.order_by(ChannelListing.sku), scalars=True)
        incidents = list(uow.session.scalars(
            select(ChannelIncident).where(ChannelIncident.channel == channel, ChannelIncident.status == "open")
            .order_by(ChannelIncident.created_at.desc()).limit(100)))
        state = next(item for item in channels_status(uow.session, current_app.config)["channels"]
                     if item["channel"] == channel)
    return render_template("office/channel_listings.html", channel=channel, listed=listed, incidents=incidents,
                           query=query, shown=shown, filters=FILTERS, state=state, error=error), status


@bp.post("/channels/<channel>/listings/<sku>/retry")
@page(MANAGER, nodes=HQ_ONLY)
def channel_retry(channel, sku):
    """Send this SKU's figure again now: its own back-off is lifted and, when the channel is set up here,
    one push round runs at once (it sends whatever else is due on that channel too)."""
    _channel(channel)

    def work(db_session):
        row = db_session.scalar(select(ChannelListing).where(ChannelListing.channel == channel,
                                                             ChannelListing.sku == sku[:64]))
        if row is None:
            abort(404)
        confirmed(db_session, request.form.get("pin", ""), action="channel_push_retry", subject=f"{channel} {sku}",
                  details={"listing_id": row.listing_id, "last_error": row.last_error, "via": "office"})
        row.retry_at = None
        if row.wanted_seq <= row.pushed_seq:  # the channel holds our figure already: send it once more anyway
            row.pushed_seq = row.wanted_seq - 1
        return row.listing_id
    try:
        change(work)
    except Refused as refused:
        return channel_listings.__wrapped__(channel, error=refused.message, status=422)
    if channel in configured(current_app.config):
        from sync.channels.push import push_channel

        result = push_channel(current_app._get_current_object(), channel)
        failed = {item["sku"]: item["reason"] for item in result.get("failed", [])}
        if sku in failed:
            flash(gettext("%(channel)s refused %(sku)s again: %(reason)s", channel=channel, sku=sku,
                          reason=failed[sku]))
        elif result.get("error") or result.get("skipped"):
            flash(gettext("%(channel)s cannot be reached now; %(sku)s is sent as soon as it can be.",
                          channel=channel, sku=sku))
        else:
            flash(gettext("%(sku)s was sent to %(channel)s again.", channel=channel, sku=sku))
    else:
        flash(gettext("%(sku)s is queued for %(channel)s: the worker sends it on its next round.",
                      channel=channel, sku=sku))
    return redirect(url_for("office.channel_listings", channel=channel, q=sku))
