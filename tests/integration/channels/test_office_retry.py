"""The back office's "Send again" for a SKU a marketplace refused: after the listing is put right on the
channel, the manager's retry (PIN-confirmed, audited) pushes the SKU at once, the buyer sees the new figure
and the incident resolves itself; while the channel still refuses, the page says why."""
from __future__ import annotations

from sqlalchemy import select

from pos.staff.models import AuditEntry
from sync.channels.push import push_round
from tests.integration.channels.conftest import listing_ids, listing_row, sell, sku
from tests.integration.channels.test_push import open_incidents
from tests.integration.office.test_office_pages import english, form, sign_in


def test_a_manager_sends_a_refused_sku_again_from_the_back_office(hq, fakes, till):
    push_round(hq)
    before = fakes.shown(3)["ebay"]
    fakes.ebay.failing_listings[listing_ids(3)["ebay"]] = "listing is locked"
    sell(till, sku(3))
    push_round(hq)
    assert fakes.shown(3)["ebay"] == before and listing_row(hq, "ebay", sku(3)).last_error

    office = english(hq)
    sign_in(office)
    page = "/office/channels/ebay"
    shown = office.get(page).get_data(as_text=True)
    assert "listing is locked" in shown and "Send again" in shown
    retry = f"/office/channels/ebay/listings/{sku(3)}/retry"
    still = form(office, retry, page, pin="9999")
    assert still.status_code == 302
    assert "refused" in office.get(still.headers["Location"]).get_data(as_text=True)
    assert fakes.shown(3)["ebay"] == before

    fakes.ebay.failing_listings.clear()  # the listing was put right on eBay
    sent = form(office, retry, page, pin="9999")
    assert sent.status_code == 302
    assert "was sent to ebay again" in office.get(sent.headers["Location"]).get_data(as_text=True)
    assert fakes.shown(3)["ebay"] == before - 1  # the buyer sees the new figure now, not on the next round
    assert listing_row(hq, "ebay", sku(3)).last_error is None
    assert [i.channel for i in open_incidents(hq)] == []
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        entries = list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "channel_push_retry")))
    assert len(entries) == 2 and entries[-1].details["via"] == "office"
