"""The back office in headless Chromium, driven from the keyboard: a manager signs in and walks every page
in Polish, Czech, Ukrainian and English (no English left over, no raw key), discards a quarantined change;
a cashier cannot reach a manager's page; a POST without the page's CSRF token is refused; a phone fits."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from pos.catalogue.models import Product
from pos.staff.models import AuditEntry, Cashier
from pos.stores.models import Location
from sync.channels.models import ChannelListing
from sync.quarantine.models import QuarantinedChange
from tests.e2e.conftest import ARTIFACTS

TRANSLATIONS = Path(__file__).resolve().parents[2] / "pos" / "translations"
# (link text's page, the address it opens): the order the navigation offers them in
PAGES = [("stores", "/office/stores"), ("quarantine", "/office/quarantine"), ("stock", "/office/stock"),
         ("movements", "/office/stock/movements"), ("catalogue", "/office/catalogue"), ("staff", "/office/staff"), ("channels", "/office/channels"),
         ("customers", "/office/customers"), ("journeys", "/office/journeys"), ("loyalty", "/office/loyalty"),
         ("sales", "/office/sales"),
         ("audit", "/office/audit")]


def office_messages(language: str, everywhere: bool = False) -> dict[str, str]:
    """The back office's English texts (or every one of the node's) and what the language's catalogue says."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    return {message.id: message.string for message in catalogue
            if isinstance(message.id, str) and message.id
            and (everywhere or any(where.startswith("pos/office") for where, _line in message.locations))}


def untranslated(page, language: str) -> list[str]:
    """English texts of the back office (or raw keys and placeholders) showing on a page in another language."""
    texts = page.evaluate("""() => {
        const found = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walker.nextNode()) { const t = walker.currentNode.textContent.trim(); if (t) found.push(t); }
        document.querySelectorAll('[aria-label],[placeholder]').forEach(e =>
            found.push(e.getAttribute('aria-label') || e.getAttribute('placeholder')));
        return found; }""")
    problems = [text for text in texts if "%(" in text or "{{" in text or re.search(r"\b_\(", text)]
    if language == "en":
        return problems
    def english(messages):
        return {msgid for msgid, translated in messages.items()
                if translated and translated != msgid and "%(" not in msgid and len(msgid) > 3}
    body = "\n".join(texts)
    problems += [text for text in texts if text in english(office_messages(language, everywhere=True))]
    problems += [msgid for msgid in english(office_messages(language)) if len(msgid) > 30 and msgid in body]
    return problems


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element is focused: it must be reachable in the page's focus order."""
    target = page.locator(selector).first
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} is never reached with Tab")


def sign_in(page, base_url: str, login: str, pin: str, language: str = "en") -> None:
    page.goto(f"{base_url}/office/sign-in?lang={language}")
    assert page.evaluate("document.activeElement.id") == "login"  # the cursor waits in the login field
    page.keyboard.type(login)
    page.keyboard.press("Tab")
    page.keyboard.type(pin)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def seed_office(app) -> str:
    """A refused change in the quarantine and a SKU a marketplace refused: something on every page."""
    with app.extensions["pos.db"].unit_of_work() as uow:
        session = uow.session
        store = session.scalars(select(Location)).first()
        product = session.scalars(select(Product).order_by(Product.sku)).first()
        item = QuarantinedChange(location_id=store.id, change_id=uuid.uuid4(), seq=41, entity="sale",
                                 entity_id=str(uuid.uuid4()), op="created", payload={"lines": [{"quantity": "two"}]},
                                 status="held", times_received=1, note="",
                                 problem={"status": 422, "detail": "changes[0].payload.lines[0].quantity: not a number",
                                          "invalid_params": [{"name": "changes[0].payload.lines[0].quantity",
                                                              "reason": "not a number"}]})
        session.add(item)
        session.add(ChannelListing(channel="ebay", sku=product.sku, product_id=product.id, listing_id="EB-77",
                                   wanted_quantity=4, wanted_seq=2, pushed_quantity=3, pushed_seq=1, failures=1,
                                   last_error="25002: listing ended"))
        uow.commit()
        return str(item.id)


@pytest.mark.parametrize("language", ["pl", "cs", "uk", "en"])
def test_a_manager_walks_every_page_from_the_keyboard(page, live_store, language):
    seed_office(live_store.app)
    sign_in(page, live_store.url, "boss", "9999", language)
    assert page.url.endswith("/office/stores")
    assert page.locator("html").get_attribute("lang") == language
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in PAGES:
        page.goto(f"{live_store.url}/office/stores")  # each walk starts at the top of a page
        tab_to(page, f"nav.pages a[href='{path}']")
        with page.expect_navigation(url=f"**{path}"):
            page.keyboard.press("Enter")
        assert page.locator("h1").is_visible()
        assert page.locator(f"nav.pages a[href='{path}']").get_attribute("aria-current") == "page"
        assert untranslated(page, language) == [], (name, untranslated(page, language))
        page.screenshot(path=str(ARTIFACTS / f"office-{language}-{name}.png"), full_page=True)

    # the journeys' messages and the call centre open from the journeys' page
    for name, path in (("messages", "/office/messages"), ("call-centre", "/office/call-centre")):
        page.goto(f"{live_store.url}/office/journeys")
        tab_to(page, f"main a[href='{path}']")
        with page.expect_navigation(url=f"**{path}"):
            page.keyboard.press("Enter")
        assert untranslated(page, language) == [], (name, untranslated(page, language))
        page.screenshot(path=str(ARTIFACTS / f"office-{language}-{name}.png"), full_page=True)

    # the quarantined change opens from the list, in the same language, with its reason
    page.goto(f"{live_store.url}/office/quarantine")
    tab_to(page, "table a[href*='/office/quarantine/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "not a number" in page.locator("dl.facts").inner_text()
    assert untranslated(page, language) == []
    page.screenshot(path=str(ARTIFACTS / f"office-{language}-quarantined-change.png"), full_page=True)


def test_a_manager_discards_a_quarantined_change_from_the_keyboard(page, live_store):
    item_id = seed_office(live_store.app)
    sign_in(page, live_store.url, "boss", "9999")
    page.goto(f"{live_store.url}/office/quarantine/{item_id}")
    tab_to(page, "#discard-note")
    page.keyboard.type("typed twice at the till")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "discard-pin"
    page.keyboard.type("1111")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    alert = page.locator("[role=alert]")
    assert "wrong PIN" in alert.inner_text()
    assert page.evaluate("document.activeElement.name") == "pin"  # back where the manager must type again
    tab_to(page, "#discard-note")
    page.keyboard.type("typed twice at the till")
    page.keyboard.press("Tab")
    page.keyboard.type("9999")
    with page.expect_navigation(url="**/office/quarantine"):
        page.keyboard.press("Enter")
    assert "Discarded" in page.locator("[role=status]").inner_text()
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.get(QuarantinedChange, uuid.UUID(item_id)).status == "discarded"
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "quarantine_discard")).one()
        assert entry.details["note"] == "typed twice at the till"


def test_a_cashier_cannot_reach_a_managers_page(page, live_store):
    sign_in(page, live_store.url, "demo", "1234")
    assert page.url.endswith("/office/stock")
    nav = page.locator("nav.pages").inner_text()
    assert "Stock" in nav and "Staff" not in nav and "Quarantine" not in nav
    for path in ("/office/stores", "/office/staff", "/office/quarantine", "/office/channels", "/office/audit"):
        answer = page.goto(f"{live_store.url}{path}")
        assert answer.status == 403, path
        assert "This page is for managers" in page.locator("[role=alert]").inner_text()


def test_a_post_without_the_pages_csrf_token_is_refused(page, live_store):
    sign_in(page, live_store.url, "boss", "9999")
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        anna = uow.session.scalars(select(Cashier).where(Cashier.login == "anna")).one()
    # the browser's own cookie, sent by a request that did not come from the page's form
    forged = page.request.post(f"{live_store.url}/office/staff/{anna.id}/pin",
                               form={"new_pin": "5555", "new_pin_again": "5555", "pin": "9999"})
    assert forged.status == 400
    with live_store.app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.get(Cashier, anna.id).pin_hash == anna.pin_hash


def test_the_pages_fit_a_phone(browser, live_store):
    seed_office(live_store.app)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, live_store.url, "boss", "9999", "pl")
        for name, path in PAGES:
            phone.goto(f"{live_store.url}{path}")
            assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
            phone.screenshot(path=str(ARTIFACTS / f"office-phone-{name}.png"), full_page=True)
    finally:
        context.close()


def test_stock_pages_and_searches_from_the_keyboard(page, live_store):
    sign_in(page, live_store.url, "demo", "1234", "pl")  # a cashier may look stock up
    assert page.locator("nav.pager").inner_text().startswith("Znaleziono: 60")
    tab_to(page, "nav.pager a[rel=next]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "strona 2 z 2" in page.locator("nav.pager").inner_text()
    assert page.locator("tbody tr").count() == 10
    tab_to(page, "#q")
    page.keyboard.type("kielbasa swiezy")  # typed without Polish letters, as on any keyboard
    with page.expect_navigation():
        page.keyboard.press("Enter")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    assert all("Kiełbasa świeży" in text for text in rows.all_inner_texts())
    assert untranslated(page, "pl") == []
    page.screenshot(path=str(ARTIFACTS / "office-pl-stock-search.png"), full_page=True)
