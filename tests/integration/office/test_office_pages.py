"""The back office over HTTP (Flask's client, SQLite and PostgreSQL): sign-in with the manager's PIN and the
API's lockout, the session cookie's flags, CSRF on every form, roles, and each change audited."""
from __future__ import annotations

import json
import re
import uuid

import pytest
from sqlalchemy import select

from pos.staff.models import AuditEntry, Cashier
from sync.channels.models import ChannelListing
from sync.quarantine.models import QuarantinedChange
from tests.integration.sync.test_push_checks import a_sale, changes, held_at_hq, hq, register_store, some_products  # noqa: F401

MANAGER_PAGES = ["/office/stores", "/office/quarantine", "/office/staff", "/office/channels",
                 "/office/channels/allegro", "/office/audit"]
EVERYONE_PAGES = ["/office/stock", "/office/stock/movements"]


def csrf_token(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def english(app):
    """A browser that chose English (the node's own language is its country's)."""
    client = app.test_client()
    client.set_cookie("pos_lang", "en")
    return client


def sign_in(client, login="boss", pin="9999"):
    token = csrf_token(client.get("/office/sign-in").get_data(as_text=True))
    return client.post("/office/sign-in", data={"login": login, "pin": pin, "csrf_token": token})


def form(client, path: str, page: str, **fields):
    """POST a form the way the page sends it: with the CSRF token the page carries."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **fields})


def audit(app, action: str) -> list[AuditEntry]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return list(uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def person(app, login: str) -> Cashier:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalars(select(Cashier).where(Cashier.login == login)).one()


def test_a_manager_signs_in_with_a_secure_session_and_reaches_every_page(hq):
    client = english(hq)
    anonymous = client.get("/office/stores")
    assert anonymous.status_code == 302 and "/office/sign-in" in anonymous.headers["Location"]
    assert client.get("/admin").status_code == 302

    answer = sign_in(client)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("pos_office=")
    assert all(flag in cookie for flag in ("Secure", "HttpOnly", "SameSite=Lax"))
    assert audit(hq, "office_signed_in")[0].subject == "boss"
    for path in MANAGER_PAGES + EVERYONE_PAGES:
        page = client.get(path)
        assert page.status_code == 200, (path, page.get_data(as_text=True)[:500])
        assert page.headers["Cache-Control"] == "no-store"
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]

    signed_out = form(client, "/office/sign-out", "/office/stock")
    assert signed_out.status_code == 302
    assert client.get("/office/stock").status_code == 302


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(hq):
    client = english(hq)
    refused = client.post("/office/sign-in", data={"login": "boss", "pin": "9999"})
    assert refused.status_code == 400
    assert client.get("/office/stores").status_code == 302  # not signed in
    assert sign_in(client).status_code == 302
    anna = person(hq, "anna")
    forged = client.post(f"/office/staff/{anna.id}/pin", data={"new_pin": "5555", "new_pin_again": "5555",
                                                              "pin": "9999"})
    assert forged.status_code == 400
    assert "Reload the page" in forged.get_data(as_text=True)
    assert person(hq, "anna").pin_hash == anna.pin_hash and audit(hq, "pin_reset") == []
    wrong_token = client.post(f"/office/staff/{anna.id}/pin", data={"new_pin": "5555", "new_pin_again": "5555",
                                                                    "pin": "9999", "csrf_token": "forged"})
    assert wrong_token.status_code == 400


def test_a_cashier_sees_stock_but_no_manager_page(hq):
    client = english(hq)
    assert sign_in(client, "demo", "1234").status_code == 302
    for path in EVERYONE_PAGES:
        assert client.get(path).status_code == 200
    for path in MANAGER_PAGES:
        page = client.get(path)
        assert page.status_code == 403, path
        assert "for managers" in page.get_data(as_text=True)
    anna = person(hq, "anna")
    token = csrf_token(client.get("/office/stock").get_data(as_text=True))
    tried = client.post(f"/office/staff/{anna.id}/unlock", data={"csrf_token": token, "pin": "1234"})
    assert tried.status_code == 403 and audit(hq, "login_unlocked") == []


def test_wrong_pins_lock_the_sign_in_as_the_api_does(hq):
    client = english(hq)
    attempts = hq.config["POS_PIN_ATTEMPTS"]
    for _ in range(attempts):
        wrong = sign_in(client, "boss", "0000")
        assert wrong.status_code == 401
    locked = sign_in(client, "boss", "9999")
    assert locked.status_code == 401
    assert "locked for" in locked.get_data(as_text=True)
    assert len(audit(hq, "login_locked")) == 1
    api = client.post("/api/v1/auth/login", json={"login": "boss", "pin": "9999", "terminal": "T1"})
    assert api.status_code == 423  # one lock, whichever door the guesses came through


def test_a_pin_reset_needs_the_managers_pin_and_is_audited(hq):
    client = english(hq)
    sign_in(client)
    anna = person(hq, "anna")
    page = f"/office/staff/{anna.id}"
    wrong = form(client, f"{page}/pin", page, new_pin="5555", new_pin_again="5555", pin="1111")
    assert wrong.status_code == 422 and "wrong PIN" in wrong.get_data(as_text=True)
    assert person(hq, "anna").pin_hash == anna.pin_hash and audit(hq, "pin_reset") == []
    assert person(hq, "boss").failed_pins == 1  # the wrong confirmation counts against the manager's login
    differ = form(client, f"{page}/pin", page, new_pin="5555", new_pin_again="5556", pin="9999")
    assert differ.status_code == 422 and "differ" in differ.get_data(as_text=True)

    done = form(client, f"{page}/pin", page, new_pin="5555", new_pin_again="5555", pin="9999")
    assert done.status_code == 302
    entry = audit(hq, "pin_reset")[0]
    assert entry.subject == "anna" and entry.manager_id == person(hq, "boss").id and entry.cashier_id == anna.id
    assert client.post("/api/v1/auth/login", json={"login": "anna", "pin": "5555", "terminal": "T1"}).status_code == 201
    assert client.post("/api/v1/auth/login", json={"login": "anna", "pin": "4321", "terminal": "T1"}).status_code == 401


def test_a_manager_unlocks_a_locked_cashier(hq):
    client = english(hq)
    for _ in range(hq.config["POS_PIN_ATTEMPTS"]):
        client.post("/api/v1/auth/login", json={"login": "anna", "pin": "0000", "terminal": "T1"})
    assert client.post("/api/v1/auth/login", json={"login": "anna", "pin": "4321", "terminal": "T1"}).status_code == 423
    sign_in(client)
    anna = person(hq, "anna")
    listed = client.get("/office/staff?q=ann").get_data(as_text=True)
    assert "Anna Nowak" in listed and "locked" in listed and "Demo Cashier" not in listed
    page = f"/office/staff/{anna.id}"
    assert form(client, f"{page}/unlock", page, pin="9999").status_code == 302
    assert audit(hq, "login_unlocked")[0].cashier_id == anna.id
    assert client.post("/api/v1/auth/login", json={"login": "anna", "pin": "4321", "terminal": "T1"}).status_code == 201
    log = client.get("/office/audit?action=login_unlocked").get_data(as_text=True)
    assert "login unlocked" in log and "Anna Nowak" in log and "Demo Manager" in log
    assert "login locked after wrong PINs" in client.get("/office/audit?q=anna").get_data(as_text=True)
    assert "Anna Nowak" not in client.get("/office/audit?action=office_signed_in").get_data(as_text=True)


def quarantined(hq) -> tuple[dict, list]:
    client, headers = english(hq), register_store(hq)
    products = some_products(hq)
    text_quantity, nonsense = a_sale(products, 3), a_sale(products, 4)
    text_quantity["lines"][1]["quantity"] = "2"
    nonsense["lines"][0]["quantity"] = "two"
    answer = client.post("/api/v1/sync/push", json={"changes": changes(("sale", text_quantity), ("sale", nonsense))},
                         headers=headers).get_json()
    assert len(answer["refused"]) == 2, answer
    return text_quantity, [item["quarantine_id"] for item in answer["refused"]]


def test_a_quarantined_change_is_shown_fixed_replayed_or_discarded_with_an_audit_entry(hq):
    sale, (fixable, hopeless) = quarantined(hq)
    client = english(hq)
    sign_in(client)
    fleet = client.get("/office/stores?q=S9").get_data(as_text=True)
    row = re.search(r"<tr>\s*<th scope=\"row\">S9.*?</tr>", fleet, re.S).group(0)
    assert 'href="/office/quarantine?store=S9"' in row and ">2</a>" in row  # two held, linked to the list
    assert row.count("—") <= 2  # last contact, last push and what HQ holds up to are known
    listed = client.get("/office/quarantine").get_data(as_text=True)
    assert fixable in listed and hopeless in listed and "S9" in listed
    assert hopeless not in client.get(f"/office/quarantine?q={sale['id']}").get_data(as_text=True)
    page = f"/office/quarantine/{fixable}"
    shown = client.get(page).get_data(as_text=True)
    assert "lines[1].quantity" in shown and sale["id"] in shown

    as_sent = form(client, f"{page}/replay", page, payload="", note="", pin="9999")
    assert as_sent.status_code == 422 and "Refused again" in as_sent.get_data(as_text=True)
    assert sale["id"] not in {str(s) for s in held_at_hq(hq)["sales"]}
    not_json = form(client, f"{page}/replay", page, payload="{oops", note="", pin="9999")
    assert not_json.status_code == 422 and "not valid JSON" in not_json.get_data(as_text=True)

    fixed = json.loads(json.dumps(sale))
    fixed["lines"][1]["quantity"] = 2
    replayed = form(client, f"{page}/replay", page, payload=json.dumps(fixed), note="quantity typed as text",
                    pin="9999")
    assert replayed.status_code == 302, replayed.get_data(as_text=True)
    assert uuid.UUID(sale["id"]) in held_at_hq(hq)["sales"]
    entry = audit(hq, "quarantine_replay")[0]
    assert entry.details["fixed"] is True and entry.details["via"] == "office" and entry.details["store"] == "S9"
    again = form(client, f"{page}/replay", page, payload="", note="", pin="9999")
    assert again.status_code in (409, 422)

    other = f"/office/quarantine/{hopeless}"
    no_reason = form(client, f"{other}/discard", other, note="", pin="9999")
    assert no_reason.status_code == 422
    discarded = form(client, f"{other}/discard", other, note="the till sent nonsense", pin="9999")
    assert discarded.status_code == 302
    assert audit(hq, "quarantine_discard")[0].details["note"] == "the till sent nonsense"
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        statuses = {str(row.id): row.status for row in uow.session.scalars(select(QuarantinedChange))}
    assert statuses == {fixable: "replayed", hopeless: "discarded"}
    assert ">2</a>" not in client.get("/office/stores?q=S9").get_data(as_text=True)


def test_a_refused_sku_is_sent_again_after_the_managers_confirmation(hq):
    product = some_products(hq, 1)[0]
    with hq.extensions["pos.db"].unit_of_work() as uow:
        uow.session.add(ChannelListing(channel="ebay", sku=product.sku, product_id=product.id, listing_id="EB-1",
                                       wanted_quantity=7, wanted_seq=3, pushed_quantity=5, pushed_seq=3,
                                       failures=2, last_error="25002: listing ended"))
        uow.commit()
    client = english(hq)
    sign_in(client)
    page = "/office/channels/ebay"
    shown = client.get(page).get_data(as_text=True)
    assert "25002: listing ended" in shown and "EB-1" in shown
    path = f"/office/channels/ebay/listings/{product.sku}/retry"
    assert form(client, path, page, pin="").status_code == 422
    assert form(client, path, page, pin="9999").status_code == 302
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        row = uow.session.scalars(select(ChannelListing)).one()
        assert row.retry_at is None and row.wanted_seq > row.pushed_seq  # due on the next round
    assert audit(hq, "channel_push_retry")[0].subject == f"ebay {product.sku}"


@pytest.mark.parametrize("language", ["pl", "cs", "uk"])
def test_pages_come_in_the_readers_language(hq, language):
    client = english(hq)
    sign_in(client)
    page = client.get(f"/office/stock?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert "Stock levels" not in page and "Previous page" not in page


@pytest.fixture
def store_node(database_url, tmp_path, pin_hashes):
    from tests.conftest import make_test_app, seed_store

    app = make_test_app(database_url, tmp_path, POS_ROLE="store", POS_STORE_CODE="S1")
    seed_store(app, pin_hashes, product_count=3)
    with app.extensions["pos.db"].unit_of_work() as uow:  # a warehouse this store does not run
        from pos.stores.services import create_location
        create_location(uow.session, "WH", "Magazyn", "PL", kind="warehouse")
        uow.commit()
    yield app
    app.extensions["pos.db"].dispose()


def test_a_store_node_shows_its_own_part(store_node):
    client = english(store_node)
    sign_in(client)
    fleet = client.get("/office/stores").get_data(as_text=True)
    assert "This store and head office" in fleet and "Changes waiting to be sent" in fleet
    assert "T1" in fleet and "T2" in fleet
    for path in ("/office/quarantine", "/office/channels"):  # head office's pages
        assert client.get(path).status_code == 404
    stock = client.get("/office/stock").get_data(as_text=True)
    assert "S1" in stock and "WH" not in stock
    assert "/office/quarantine" not in fleet and "/office/channels" not in fleet
