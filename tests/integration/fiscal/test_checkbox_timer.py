"""The till's own timer brings a Ukrainian PRRO back online: when Checkbox (or the tax service) answers again
the offline receipts go to Checkbox exactly once with nobody pressing anything, the stock of reserved offline
codes is topped up while online, and the law's limits hold all along.  The Checkbox emulator is served over
HTTP on 127.0.0.1; the store app runs its device start-up as the web process does."""
from __future__ import annotations

import time

import pytest

from hardware.fiscal.checkbox import OfflineBook
from pos.sales.models import Sale
from tests.conftest import login, make_test_app, seed_store
from tests.integration.devices.conftest import configure_terminal, count_rows, sell
from tests.integration.fiscal.checkbox_fixtures import LICENCE, PIN, running_emulator
from tests.integration.fiscal.test_checkbox_till import book_path, fiscal_item, start_offline_session

CODES = 10


@pytest.fixture
def emulator():
    with running_emulator() as emulator:
        yield emulator


@pytest.fixture
def ua_app(database_url, tmp_path, pin_hashes, emulator, monkeypatch):
    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)
    # the timer ticks often here so the test does not wait long; production's default is 30 s.  Generous
    # timeouts: an outage here is staged (connections dropped at once), never a slow answer on a loaded machine
    app = make_test_app(database_url, tmp_path, POS_COUNTRY="UA", POS_ALLOW_REAL_DEVICES=True,
                        POS_FISCAL_UPKEEP_SECONDS=0.2)
    seed_store(app, pin_hashes)
    fiscal = emulator.url.replace("http://", "checkbox+http://") + f"?timeout=10&settle=10&retry=0&codes={CODES}"
    configure_terminal(app, printer_url=f"emulator://printer?dir={tmp_path / 'printer'}", fiscal_url=fiscal,
                       language="uk")
    yield app
    app.extensions["pos.devices"].close()
    app.extensions["pos.db"].dispose()


@pytest.fixture
def cashier(ua_app):
    ua_app.extensions["pos.devices"].start_once(background=False)  # as the serving process does
    api = login(ua_app.test_client())
    assert api.post("/api/v1/shifts", json={"opening_float": 20000}).status_code == 201
    return api


def eventually(condition, what: str, limit: float = 30.0):
    """Wait for the timer to do its work (a generous limit: a loaded machine is slow, not wrong)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"the till's timer did not {what}")
        time.sleep(0.05)


def offline_state(api) -> dict:
    """The till's own view of its PRRO, as the cashier's page reads it ({} while it is being opened)."""
    return fiscal_item(api).get("offline") or {}


def received(emulator) -> list[str]:
    return [r["id"] for r in emulator.fiscal_receipts()]


def test_offline_receipts_reach_checkbox_once_by_themselves_when_it_comes_back(ua_app, cashier, emulator):
    assert sell(cashier).get_json()["fiscal_status"] == "confirmed"
    emulator.go_down()
    offline = [sell(cashier, [sku]).get_json() for sku in ("SKU-000002", "SKU-000003", "SKU-000004")]
    assert [s["fiscal_status"] for s in offline] == ["confirmed"] * 3
    assert fiscal_item(cashier)["offline"]["receipts_waiting"] == 3
    # a failure in the middle of sending: the second receipt is done but its answer lost, and the first
    # go-online is refused; the timer carries on at its next turns
    emulator.lose_answer(on="receipts/sell-offline", after=1)
    emulator.fail(on="cash-registers/go-online")
    emulator.come_back()

    eventually(lambda: offline_state(cashier).get("state") == "online", "send the offline receipts and go online")
    assert not emulator.register["offline"] and not OfflineBook(book_path_of(ua_app)).waiting()
    ids = [s["id"] for s in offline]
    assert [i for i in received(emulator) if i in ids] == ids  # each once, in the order sold
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 3  # the lost answer was asked about
    assert [r["fiscal_code"] for r in emulator.fiscal_receipts()][1:] == [s["fiscal_number"] for s in offline]
    item = fiscal_item(cashier)
    assert item["offline"]["state"] == "online" and item["offline"]["receipts_waiting"] == 0
    eventually(lambda: offline_state(cashier).get("codes_left") == CODES, "top the offline codes up")
    time.sleep(0.5)  # a few more turns of the timer: nothing is sent again
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 3
    assert len(received(emulator)) == 4


def book_path_of(app):
    from pathlib import Path
    return Path(app.config["POS_DEVICE_DIR"]) / "T1" / "checkbox-offline.json"


def test_the_tax_service_coming_back_takes_the_till_online_by_itself(ua_app, cashier, emulator):
    assert sell(cashier).get_json()["fiscal_status"] == "confirmed"
    emulator.tax_service_down()
    offline = sell(cashier, ["SKU-000002"]).get_json()
    assert offline["fiscal_status"] == "confirmed" and emulator.register["offline"]
    emulator.tax_service_up()
    eventually(lambda: offline_state(cashier).get("state") == "online", "go online when the tax service is back")
    assert not emulator.register["offline"] and received(emulator).count(offline["id"]) == 1


def test_offline_codes_are_topped_up_ahead_of_time_while_online(ua_app, cashier, emulator):
    assert sell(cashier).get_json()["fiscal_status"] == "confirmed"
    emulator.go_down()
    assert sell(cashier, ["SKU-000002"]).get_json()["fiscal_status"] == "confirmed"
    assert offline_state(cashier)["codes_left"] < CODES
    emulator.fail(on="cash-registers/ask-offline-codes")  # the top-up right after going online fails
    emulator.come_back()
    eventually(lambda: offline_state(cashier).get("state") == "online", "go online")
    eventually(lambda: offline_state(cashier).get("codes_left") == CODES, "top the offline codes up")
    assert emulator.requests_seen.count("GET cash-registers/ask-offline-codes") >= 2


def test_the_session_limit_holds_while_the_timer_waits_and_selling_resumes_when_checkbox_is_back(
        ua_app, cashier, emulator, tmp_path):
    assert sell(cashier).get_json()["fiscal_status"] == "confirmed"
    emulator.go_down()
    hub = ua_app.extensions["pos.devices"]
    hub.close()  # the till restarts: its book says it went offline 36 hours ago
    start_offline_session(tmp_path, 36)
    hub.start_once(background=False)
    eventually(lambda: offline_state(cashier).get("state") == "refused", "open the PRRO on its book")
    time.sleep(0.5)  # the timer tries Checkbox a few times in vain
    assert offline_state(cashier)["state"] == "refused"
    before = count_rows(ua_app, Sale)
    basket = cashier.post("/api/v1/baskets", json={}).get_json()["id"]
    assert cashier.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000003"}).status_code == 201
    total = cashier.get(f"/api/v1/baskets/{basket}").get_json()["total"]
    refused = cashier.post(f"/api/v1/baskets/{basket}/checkout",
                           json={"payments": [{"method": "card", "amount": total}]})
    assert refused.status_code == 409 and refused.get_json()["offline"]["limit"] == "session"
    assert count_rows(ua_app, Sale) == before

    emulator.come_back()
    eventually(lambda: offline_state(cashier).get("state") == "online", "go online")
    allowed = cashier.post(f"/api/v1/baskets/{basket}/checkout",
                           json={"payments": [{"method": "card", "amount": total}]})
    assert allowed.status_code == 201, allowed.get_json()
    assert allowed.get_json()["fiscal_status"] == "confirmed"
    assert allowed.get_json()["id"] in received(emulator)
    assert fiscal_item(cashier)["offline"]["month_hours_used"] >= 36  # the session still counts for the month
    assert book_path(tmp_path).exists()
