import datetime as dt

import pytest
import serial

from hardware.device import DeviceError
from hardware.fiscal import FiscalLine, FiscalReceipt, open_fiscal_printer
from hardware.fiscal.emulation import fix_remote, inject_remote
from hardware.fiscal.posnet import frame as posnet
from hardware.fiscal.posnet.emulator import start_posnet_emulator

from tests.integration.fiscal.conftest import TIMEOUTS, assert_exactly_once, sale

STORE_VAT = {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None}


def test_receipts_print_with_vat_letters_weighed_goods_discounts_and_polish_names(posnet):
    printer, emulator = posnet
    reported = {}
    for n in range(3):
        receipt = sale(n, n)
        result = printer.fiscalise(receipt)
        assert result.fiscal and result.device_receipt_number == str(n + 1) and not result.recovered
        reported[receipt.reference] = receipt
    assert_exactly_once(emulator.memory, reported)
    last = emulator.memory.receipts[-1]
    assert last["lines"][0]["name"] == "Chleb żytni"  # Windows-1250 there and back
    assert [line["quantity_milli"] for line in last["lines"]] == [3000, 6000, 1250]
    assert printer.last_completed().receipt_number == "3"


def test_the_spec_s_own_example_transaction_is_accepted_byte_for_byte(tmp_path):
    """trpayment example of the spec: card 5.00, change 3.00, trend to200 re300 fp500."""
    url, emulator = start_posnet_emulator(tmp_path / "fm.json")
    port = serial.serial_for_url(url.split("?")[0], timeout=1)
    reader = posnet.FrameReader()
    try:
        for body in ["trinit\tbm0\t", "trline\tnaJabłka\tvt1\tpr200\twa200\t", "trpayment\tty2\twa500\tre0\t",
                     "trpayment\tty0\twa300\tre1\t", "trend\tto200\tre300\tfp500\t"]:
            raw = body.encode("cp1250")
            port.write(b"\x02" + raw + b"#" + f"{posnet.crc16(raw):04X}".encode() + b"\x03")
            packets = []
            while not packets:
                packets = reader.feed(port.read(1) + port.read(port.in_waiting))
            reply = posnet.decode(packets[0])
            assert reply.command == body.split("\t")[0] and reply.error is None, reply
        assert emulator.memory.day_totals == {"B": 200}
    finally:
        port.close()
        emulator.stop()


def test_a_total_the_printer_disagrees_with_is_refused_and_leaves_nothing_open(posnet):
    printer, emulator = posnet
    good = sale(1)
    wrong = FiscalReceipt("SALE-WRONG", good.lines, total=good.total + 1)
    with pytest.raises(DeviceError) as refused:
        printer.fiscalise(wrong)
    assert refused.value.code == "total_mismatch" and not refused.value.ambiguous
    assert "total" in refused.value.message and refused.value.action
    assert emulator.memory.receipts == [] and emulator.memory.data["cancelled"] == 1
    assert printer.journal.load("SALE-WRONG")["status"] == "failed"
    printer.fiscalise(good)
    assert_exactly_once(emulator.memory, {good.reference: good})


def test_an_inactive_vat_letter_is_refused(posnet):
    printer, emulator = posnet
    with pytest.raises(DeviceError) as refused:
        printer.fiscalise(FiscalReceipt("SALE-F", [FiscalLine("Rzecz", 1, 100, "F", 100)], total=100))
    assert refused.value.code == "vat_not_active"
    assert emulator.memory.receipts == []


def test_start_up_check_of_vat_rates_and_clock(posnet):
    printer, emulator = posnet
    assert printer.read_vat_rates() == STORE_VAT
    printer.check_configuration(STORE_VAT, dt.timedelta(minutes=5))
    with pytest.raises(DeviceError) as wrong_vat:
        printer.check_configuration({**STORE_VAT, "A": 2200}, dt.timedelta(minutes=5))
    assert wrong_vat.value.code == "vat_mismatch" and "A" in wrong_vat.value.message
    emulator.clock_offset = dt.timedelta(hours=2)
    with pytest.raises(DeviceError) as skew:
        printer.check_configuration(STORE_VAT, dt.timedelta(minutes=5))
    assert skew.value.code == "clock_skew"


def test_daily_report_closes_the_day_once(posnet):
    printer, emulator = posnet
    receipt = sale(7, 1)
    printer.fiscalise(receipt)
    report = printer.daily_report()
    assert report.number == 1 and report.totals_by_vat == receipt.totals_by_vat
    assert emulator.memory.day_totals == {} and emulator.memory.data["daily_reports"][0]["receipts"] == 1
    with pytest.raises(DeviceError) as again:
        printer.daily_report()
    assert again.value.code == "daily_report_empty"


def test_status_tells_paper_and_cover_and_remote_faults_work(posnet):
    printer, emulator = posnet
    assert printer.status()["paper"] == "ok"
    inject_remote(emulator.control_url, "cover_open", on="trinit")
    with pytest.raises(DeviceError) as cover:
        printer.fiscalise(sale(1))
    assert cover.value.code == "cover_open"
    assert printer.status()["cover"] == "open"
    fix_remote(emulator.control_url)
    printer.fiscalise(sale(1))
    assert printer.status()["cover"] == "closed"
    assert_exactly_once(emulator.memory, {"SALE-00001": sale(1)})


def test_cancel_drops_an_open_receipt(posnet):
    printer, emulator = posnet
    printer._command("trinit", [("bm", "0")])
    printer._command("trline", [("na", "Test"), ("vt", "0"), ("pr", "100")])
    assert printer.status()["transaction_open"]
    printer.cancel()
    assert not printer.status()["transaction_open"] and emulator.memory.data["cancelled"] == 1


def test_the_app_opens_the_emulator_from_a_url(tmp_path):
    printer = open_fiscal_printer(f"emulator://posnet?memory={tmp_path}/fm.json&transport=tcp&{TIMEOUTS}")
    try:
        assert printer.url.startswith("socket://127.0.0.1:")
        assert printer.fiscalise(sale(3)).device_receipt_number == "1"
    finally:
        printer.close()
    reopened = open_fiscal_printer(f"emulator://posnet?memory={tmp_path}/fm.json&{TIMEOUTS}")
    try:
        assert reopened.url.startswith("/dev/")
        assert reopened.fiscalise(sale(4)).device_receipt_number == "2"  # the memory file survived
    finally:
        reopened.close()
