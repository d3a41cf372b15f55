"""Checkbox offline: reserved codes, the offline chain sent once, and the law's limits (36 h, 168 h)."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest

from hardware.device import DeviceError
from hardware.fiscal import MemoryJournal
from hardware.fiscal.checkbox import CheckboxPrinter
from tests.integration.fiscal.checkbox_fixtures import (basket, checkbox_env, checkbox_url, clock,  # noqa: F401
                                                        emulator, till)


def sale_id() -> str:
    return str(uuid.uuid4())


def test_checkbox_unreachable_sells_with_reserved_codes_and_sends_them_once_when_back(till, emulator, clock):
    reserved = set(emulator.offline_codes)
    assert till.book.codes_left == 20 and set(till.book.data["codes"]) <= reserved  # stocked ahead of time

    emulator.go_down()
    offline = [till.fiscalise(basket(sale_id())) for _ in range(3)]
    assert all(r.details["offline"] for r in offline)
    codes = [r.device_receipt_number for r in offline]
    assert len(set(codes)) == 3 and set(codes) <= reserved
    assert all(f"id={code}" in r.details["check_url"] for code, r in zip(codes, offline))
    assert emulator.fiscal_receipts() == []  # nothing reached Checkbox
    assert till.offline_allowance()["state"] == "offline"
    assert till.offline_allowance()["receipts_waiting"] == 3

    clock.advance(hours=2)
    emulator.come_back()
    back = till.fiscalise(basket(sale_id()))  # the next sale sends the chain first, then sells online
    assert not back.details["offline"]
    kinds = [item["kind"] for item in emulator.tax_service]
    assert kinds == ["shift_open", "go_offline", "receipt", "receipt", "receipt", "go_online", "receipt"]
    assert [r["fiscal_code"] for r in emulator.fiscal_receipts()][:3] == codes
    assert [r["id"] for r in emulator.fiscal_receipts()][:3] == [r.details["receipt_id"] for r in offline]
    assert emulator.offline_sessions[0]["start"] == "2026-11-30T22:00:00+00:00"  # when the till went offline
    assert till.offline_allowance()["state"] == "online"
    assert till.offline_allowance()["month_hours_used"] == 2.0

    till.sync_offline()  # nothing left to send: nothing is sent again
    assert len(emulator.fiscal_receipts()) == 4
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 3


def test_a_lost_answer_while_sending_the_offline_chain_is_asked_about_first(till, emulator):
    emulator.go_down()
    offline = till.fiscalise(basket(sale_id()))
    emulator.come_back()
    emulator.lose_answer(on="receipts/sell-offline")
    till.sync_offline()  # the receipt got there, its answer did not: still waiting as far as the till knows
    till.sync_offline()  # asks GET /receipts/{id} first: Checkbox has it, nothing is sent twice
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 1
    assert [r["fiscal_code"] for r in emulator.fiscal_receipts()] == [offline.device_receipt_number]
    assert till.offline_allowance()["state"] == "online"


def test_tax_service_down_goes_offline_through_checkbox_and_online_when_back(till, emulator):
    emulator.tax_service_down()
    result = till.fiscalise(basket(sale_id()))
    assert result.details["offline"]
    assert emulator.register["offline"]  # Checkbox was told at once and holds the receipt
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 1
    assert emulator.fiscal_receipts() == []  # the tax service has nothing yet
    emulator.tax_service_up()
    till.sync_offline()
    assert [r["fiscal_code"] for r in emulator.fiscal_receipts()] == [result.device_receipt_number]
    assert not emulator.register["offline"]


def test_a_sale_left_unknown_when_checkbox_vanished_is_fiscalised_once(till, emulator):
    """The sell reached Checkbox, then Checkbox vanished: the till fiscalised offline; when back, Checkbox's
    own receipt stands and the offline copy is never sent."""
    reference = sale_id()
    emulator.lose_answer(on="receipts/sell")
    emulator.lose_answer(on=f"receipts/{reference}")
    result = till.fiscalise(basket(reference))
    assert result.details["offline"]
    till.sync_offline()
    assert [r["id"] for r in emulator.fiscal_receipts()] == [reference]
    assert emulator.requests_seen.count("POST receipts/sell-offline") == 0
    entry = till.book.receipt(result.details["receipt_id"])
    assert entry["superseded_by"] == emulator.receipts[reference]["fiscal_code"]


def test_the_offline_book_survives_a_restart(emulator, tmp_path, clock, checkbox_env):
    first = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    first.open()
    emulator.go_down()
    sold = first.fiscalise(basket(sale_id()))
    first.close()
    again = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    again.open()  # Checkbox is still away: the till opens on its own book (shift, codes)
    another = again.fiscalise(basket(sale_id()))
    assert another.device_receipt_number != sold.device_receipt_number
    emulator.come_back()
    again.sync_offline()
    assert len(emulator.fiscal_receipts()) == 2
    again.close()


def test_session_limit_warns_near_36_hours_and_refuses_at_it(till, emulator, clock):
    emulator.go_down()
    till.fiscalise(basket(sale_id()))
    clock.advance(hours=29)
    assert till.offline_allowance()["state"] == "offline"
    clock.advance(hours=1, minutes=30)
    allowance = till.offline_allowance()
    assert allowance["state"] == "warning" and allowance["limit"] == "session"
    assert allowance["session_hours_used"] == 30.5 and allowance["session_hours_left"] == 5.5
    till.fiscalise(basket(sale_id()))  # warned, still allowed
    clock.advance(hours=5, minutes=30)
    assert till.offline_allowance()["state"] == "refused"
    codes_before = till.book.codes_left
    with pytest.raises(DeviceError) as refused:
        till.fiscalise(basket(sale_id()))
    assert refused.value.code == "offline_limit_reached" and not refused.value.ambiguous
    assert "36 hours" in refused.value.message and till.book.codes_left == codes_before
    emulator.come_back()
    till.sync_offline()
    assert till.offline_allowance()["state"] == "online"
    assert till.fiscalise(basket(sale_id())).details["offline"] is False


def test_month_limit_warns_near_168_hours_and_refuses_at_it(till, emulator, clock):
    for _ in range(4):  # four sessions of 35 h in December: 140 h
        emulator.go_down()
        till.fiscalise(basket(sale_id()))
        clock.advance(hours=35)
        emulator.come_back()
        till.sync_offline()
        clock.advance(hours=1)
    assert till.offline_allowance()["month_hours_used"] == 140.0
    emulator.go_down()
    till.fiscalise(basket(sale_id()))
    clock.advance(hours=22, minutes=30)
    allowance = till.offline_allowance()
    assert allowance["state"] == "warning" and allowance["limit"] == "month"
    assert allowance["month_hours_left"] == 5.5
    clock.advance(hours=5, minutes=30)
    with pytest.raises(DeviceError) as refused:
        till.fiscalise(basket(sale_id()))
    assert refused.value.code == "offline_limit_reached" and "168" in refused.value.message
    emulator.come_back()
    till.sync_offline()
    # online again the till sells; going offline again this month is refused before a code is used
    assert till.fiscalise(basket(sale_id())).details["offline"] is False
    emulator.go_down()
    with pytest.raises(DeviceError) as month:
        till.fiscalise(basket(sale_id()))
    assert month.value.code == "offline_limit_reached"
    # a new calendar month starts a new allowance
    clock.advance(days=25)
    assert till.offline_allowance()["month_hours_used"] == 0.0


def test_no_codes_left_is_a_clear_refusal(emulator, tmp_path, clock, checkbox_env):
    printer = CheckboxPrinter(checkbox_url(emulator, tmp_path, codes="2"), MemoryJournal(), clock=clock)
    printer.open()
    try:
        emulator.go_down()
        printer.fiscalise(basket(sale_id()))  # one code for going offline, one for the receipt
        with pytest.raises(DeviceError) as empty:
            printer.fiscalise(basket(sale_id()))
        assert empty.value.code == "offline_codes_exhausted" and not empty.value.ambiguous
    finally:
        printer.close()


def test_a_crash_after_an_offline_receipt_was_printed_recovers_it_without_a_second_code(till, emulator):
    reference = sale_id()
    emulator.go_down()
    printed = till.fiscalise(basket(reference))
    codes_left = till.book.codes_left
    # the till died before its own journal said "done": it only knows it was sending this sale
    journal = MemoryJournal()
    journal.save(reference, {"status": "sending", "checkpoint": {"receipt_id": reference}})
    till.journal = journal
    again = till.fiscalise(basket(reference))
    assert again.recovered and again.device_receipt_number == printed.device_receipt_number
    assert again.details["check_url"] == printed.details["check_url"]
    assert till.book.codes_left == codes_left


def test_after_the_z_report_a_shift_is_opened_offline_and_sent_in_the_chain(till, emulator, clock):
    till.fiscalise(basket(sale_id()))
    till.daily_report()
    emulator.go_down()
    offline = till.fiscalise(basket(sale_id()))  # no shift is open: it is opened offline under a reserved code
    clock.advance(hours=1)
    emulator.come_back()
    till.sync_offline()
    kinds = [item["kind"] for item in emulator.tax_service]
    assert kinds == ["shift_open", "receipt", "z_report", "go_offline", "shift_open", "receipt", "go_online"]
    assert emulator.fiscal_receipts()[-1]["fiscal_code"] == offline.device_receipt_number
    assert [s["status"] for s in emulator.shifts.values()] == ["CLOSED", "OPENED"]
    assert till.fiscalise(basket(sale_id())).details["offline"] is False  # sold online in that shift


def test_offline_hours_checkbox_counted_for_the_register_count_against_the_month(emulator, tmp_path, clock,
                                                                                 checkbox_env):
    # another device of this register spent 150 offline hours this month before this till was set up
    emulator.record_offline_session(clock() + dt.timedelta(hours=1), clock() + dt.timedelta(hours=151))
    clock.advance(hours=160)
    printer = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    printer.open()
    try:
        assert printer.offline_allowance()["month_hours_used"] == 150.0
        emulator.go_down()
        printer.fiscalise(basket(sale_id()))
        clock.advance(hours=13)
        allowance = printer.offline_allowance()
        assert allowance["month_hours_used"] == 163.0 and allowance["state"] == "warning"
        clock.advance(hours=5)
        with pytest.raises(DeviceError) as refused:
            printer.fiscalise(basket(sale_id()))
        assert refused.value.code == "offline_limit_reached"
    finally:
        printer.close()


def test_with_the_tax_service_away_after_a_z_report_the_shift_and_sales_go_offline(till, emulator):
    till.fiscalise(basket(sale_id()))
    till.daily_report()
    emulator.tax_service_down()  # Checkbox answers, but refuses to open a shift without the tax service
    offline = till.fiscalise(basket(sale_id()))
    assert offline.details["offline"] and emulator.register["offline"]
    emulator.tax_service_up()
    till.sync_offline()
    kinds = [item["kind"] for item in emulator.tax_service]
    assert kinds[-4:] == ["go_offline", "shift_open", "receipt", "go_online"]
    assert emulator.fiscal_receipts()[-1]["fiscal_code"] == offline.device_receipt_number


def test_the_timer_keeps_the_limits_while_checkbox_is_away_and_counts_the_registers_hours_when_back(till, emulator,
                                                                                                    clock):
    month_start = clock()
    emulator.go_down()
    till.fiscalise(basket(sale_id()))
    clock.advance(hours=35)
    assert till.upkeep()["state"] == "warning"  # the timer's turns change nothing while Checkbox is away
    clock.advance(hours=1)
    assert till.upkeep()["state"] == "refused"
    with pytest.raises(DeviceError) as stopped:
        till.fiscalise(basket(sale_id()))
    assert stopped.value.code == "offline_limit_reached"
    # another device of this register was offline for 20 hours this month too: the law counts the register's
    emulator.record_offline_session(month_start, month_start + dt.timedelta(hours=20))
    emulator.come_back()
    allowance = till.upkeep()
    assert allowance["state"] == "online" and allowance["receipts_waiting"] == 0
    assert allowance["month_hours_used"] == 56.0 and allowance["session_hours_used"] == 0
    assert len(emulator.fiscal_receipts()) == 1
