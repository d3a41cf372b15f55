"""Checkbox online: sign-in, shift, sell, return, Z report, and exactly once after a lost answer."""
from __future__ import annotations

import pytest

from hardware.device import DeviceError
from hardware.fiscal import MemoryJournal, open_fiscal_printer
from hardware.fiscal.checkbox import CheckboxPrinter
from tests.integration.fiscal.checkbox_fixtures import (LICENCE, PIN, basket, checkbox_env, checkbox_url,  # noqa: F401
                                                        clock, emulator, till)

SALE = "0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5b"
OTHER = "0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5c"
RETURN = "0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5d"


def test_sign_in_open_shift_sell_return_and_close_with_z(till, emulator):
    assert emulator.tokens and [s["status"] for s in emulator.shifts.values()] == ["OPENED"]
    assert till.read_vat_rates() == {"A": 2000, "B": 700, "C": 0}

    sold = till.fiscalise(basket(SALE, cash=True))
    receipt = emulator.receipts[SALE]
    assert sold.device_receipt_number == receipt["fiscal_code"] and not sold.recovered
    assert receipt["total_sum"] == sold.total == 5700 + 13976 + 1800
    # kopiykas and ×1000 quantities: 2 pieces are 2000, 352 g are 352
    assert [(g["good"]["price"], g["quantity"], g["sum"]) for g in receipt["goods"]] == [
        (2850, 2000, 5700), (39990, 352, 13976), (1800, 1000, 1800)]
    assert [p["type"] for p in receipt["payments"]] == ["CASH"] and receipt["total_rest"] == 30000 - 21480
    assert sold.details["check_url"] == receipt["tax_url"]

    returned = till.fiscalise(basket(RETURN, is_return=True, related=SALE))
    assert emulator.receipts[RETURN]["type"] == "RETURN"
    assert emulator.receipts[RETURN]["related_receipt_id"] == SALE
    assert [p["type"] for p in emulator.receipts[RETURN]["payments"]] == ["CASHLESS"]
    assert returned.device_receipt_number != sold.device_receipt_number

    till.fiscalise(basket(OTHER))
    report = till.daily_report()
    assert report.number == 1
    # VAT A: two sales less one return of one basket = one basket's 57.00
    assert report.totals_by_vat == {"A": 5700, "B": 13976, "C": 1800}
    assert [s["status"] for s in emulator.shifts.values()] == ["CLOSED"]
    assert [item["kind"] for item in emulator.tax_service] == ["shift_open", "receipt", "receipt", "receipt",
                                                              "z_report"]
    # the next sale opens the next shift by itself
    till.fiscalise(basket("0190a2b4-1c2d-7e3f-8a9b-0c1d2e3f4a5e"))
    assert [s["status"] for s in emulator.shifts.values()] == ["CLOSED", "OPENED"]


def test_a_lost_answer_is_asked_about_and_never_fiscalised_twice(till, emulator):
    emulator.lose_answer(on="receipts/sell")
    result = till.fiscalise(basket(SALE))
    assert result.recovered and result.device_receipt_number == emulator.receipts[SALE]["fiscal_code"]
    assert [r["id"] for r in emulator.fiscal_receipts()] == [SALE]
    assert emulator.requests_seen.count("POST receipts/sell") == 1  # asked, never resent
    assert emulator.requests_seen.count(f"GET receipts/{SALE}") >= 1


def test_a_refused_sell_after_a_crash_is_settled_with_checkbox_first(emulator, tmp_path, clock, checkbox_env):
    """The till died after sending: its journal says 'sending'; the next start asks Checkbox, does not resend."""
    journal = MemoryJournal()
    first = CheckboxPrinter(checkbox_url(emulator, tmp_path), journal, clock=clock)
    first.open()
    emulator.lose_answer(on="receipts/sell")
    emulator.fail(on=f"receipts/{SALE}", status=503)  # and Checkbox cannot say yet
    with pytest.raises(DeviceError) as unknown:
        first.fiscalise(basket(SALE))
    assert unknown.value.ambiguous and journal.load(SALE)["status"] == "sending"
    first.close()

    again = open_fiscal_printer(checkbox_url(emulator, tmp_path), journal, clock=clock)
    settled = again.settle(basket(SALE))
    assert settled is not None and settled.recovered
    assert again.fiscalise(basket(SALE)) == settled
    assert [r["id"] for r in emulator.fiscal_receipts()] == [SALE]
    again.close()


def test_a_slow_checkbox_and_a_server_error_still_give_one_receipt(till, emulator):
    emulator.slow(1.0, on="receipts/sell")  # longer than the till's 0.5 s timeout: done, answer too late
    first = till.fiscalise(basket(SALE))
    emulator.fail(on="receipts/sell", status=502)  # refused before doing anything: sent again
    second = till.fiscalise(basket(OTHER))
    assert first.recovered and not second.recovered
    assert sorted(r["id"] for r in emulator.fiscal_receipts()) == sorted([SALE, OTHER])


def test_the_device_id_is_sent_and_secrets_stay_out_of_the_address(till, emulator):
    till.fiscalise(basket(SALE))
    assert emulator.device_ids == {till.device_id}
    assert LICENCE not in till.url and PIN not in till.url
    assert LICENCE not in str(till.status()) and PIN not in str(till.status())


def test_a_secret_written_in_the_address_is_masked(emulator, tmp_path, clock, monkeypatch):
    monkeypatch.delenv("CHECKBOX_LICENSE_KEY", raising=False)
    monkeypatch.setenv("SHOP_PIN", PIN)
    url = checkbox_url(emulator, tmp_path, license=LICENCE, pin="env:SHOP_PIN")
    printer = CheckboxPrinter(url, MemoryJournal(), clock=clock)
    printer.open()
    try:
        assert "license=***" in printer.url and "pin=env:SHOP_PIN" in printer.url
        assert printer.fiscalise(basket(SALE)).device_receipt_number
    finally:
        printer.close()


def test_without_a_licence_key_the_till_says_what_to_set(emulator, tmp_path, clock, monkeypatch):
    monkeypatch.delenv("CHECKBOX_LICENSE_KEY", raising=False)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)
    printer = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    with pytest.raises(DeviceError) as missing:
        printer.open()
    assert missing.value.code == "not_configured" and "CHECKBOX_LICENSE_KEY" in missing.value.action


def test_a_cashier_signs_in_with_login_and_password_and_a_wrong_one_is_told_what_to_check(emulator, tmp_path, clock,
                                                                                          monkeypatch):
    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.delenv("CHECKBOX_CASHIER_PIN", raising=False)
    monkeypatch.setenv("CHECKBOX_CASHIER_LOGIN", "cashier")
    monkeypatch.setenv("CHECKBOX_CASHIER_PASSWORD", "secret")
    printer = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    printer.open()
    try:
        assert printer.fiscalise(basket(SALE)).device_receipt_number == emulator.receipts[SALE]["fiscal_code"]
        assert "POST cashier/signin" in emulator.requests_seen
    finally:
        printer.close()
    monkeypatch.setenv("CHECKBOX_CASHIER_PASSWORD", "wrong")
    refused = CheckboxPrinter(checkbox_url(emulator, tmp_path, state=str(tmp_path / "other.json")), MemoryJournal(),
                              clock=clock)
    with pytest.raises(DeviceError) as wrong:
        refused.open()
    assert wrong.value.code == "unauthorised" and "login" in wrong.value.action
