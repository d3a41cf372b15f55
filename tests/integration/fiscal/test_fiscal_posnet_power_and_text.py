"""A POSNET printer that loses power and comes back, names in any language, a bill discount, the
figures of a totals mismatch and what the printer would refuse, all over a real pty or TCP link."""
import pytest

from hardware.device import DeviceError
from hardware.fiscal import FiscalLine, FiscalReceipt, MemoryJournal, Payment
from hardware.fiscal.posnet.driver import PosnetPrinter, printed_totals, system_number
from hardware.fiscal.posnet.emulator import PosnetEmulator

from tests.integration.fiscal.conftest import assert_exactly_once, sale, with_options


def start(tmp_path, transport: str, **options) -> tuple[str, PosnetEmulator]:
    emulator = PosnetEmulator(tmp_path / "fm.json", **options)
    if transport == "tcp":
        host, port = emulator.start_tcp()
        return f"socket://{host}:{port}", emulator
    # a USB printer: its port name disappears with the power and comes back on a new device
    return f"{emulator.start_pty(link=tmp_path / 'ttyACM0')}?baudrate=9600", emulator


@pytest.fixture(params=["usb", "tcp"])
def link(request, tmp_path):
    url, emulator = start(tmp_path, request.param)
    printer = PosnetPrinter(with_options(url, "timeout=0.3&settle=1"), MemoryJournal())
    printer.open()
    yield printer, emulator
    printer.close()
    emulator.stop()


def test_after_a_power_cut_the_driver_reports_offline_and_reconnects_by_itself(link):
    printer, emulator = link
    first = sale(1)
    assert printer.fiscalise(first).device_receipt_number == "1"
    emulator.power_off()
    waiting = [sale(n, n) for n in range(2, 8)]
    for receipt in waiting:
        with pytest.raises(DeviceError) as offline:  # a DeviceError, never an OSError
            printer.fiscalise(receipt)
        assert offline.value.code in ("offline", "no_reply"), offline.value.code
    status = printer.status()
    assert status["state"] == "error" and status["offline_since"] is not None
    assert status["error"]["code"] in ("offline", "no_reply")
    emulator.power_on()
    printer.wake()  # what an explicit retry does; otherwise the back-off pause runs out by itself
    results = [printer.fiscalise(receipt) for receipt in waiting]
    assert [r.device_receipt_number for r in results] == ["2", "3", "4", "5", "6", "7"]
    assert printer.status()["offline_since"] is None and printer.status()["state"] == "idle"
    assert_exactly_once(emulator.memory, {r.reference: r for r in [first, *waiting]})


def test_a_power_cut_after_the_receipt_completed_is_settled_without_a_second_print(link):
    printer, emulator = link
    receipt = sale(1, 1)
    emulator.inject("power_loss", on="trend")
    emulator.stay_off_after_power_loss = True
    with pytest.raises(DeviceError) as lost:
        printer.fiscalise(receipt)
    assert lost.value.ambiguous
    emulator.power_off()
    emulator.power_on()
    printer.wake()
    result = printer.fiscalise(receipt)
    assert result.recovered and result.device_receipt_number == "1"
    assert_exactly_once(emulator.memory, {receipt.reference: receipt})


NAMES = {
    "Яблука Голден ваг.": "Yabluka Holden vah.",
    "Ковбаса «Київська»\n": "Kovbasa <<Kyivska>>",
    "Pivo „Plzeň“ – řezané 0,5 l": 'Pivo "Plzen" - rezane 0,5 l',
    "Żółty ser – 5 €": "Żółty ser - 5 EUR",
}


@pytest.mark.parametrize("encoding", ["cp1250", "mazovia"])
def test_names_in_any_language_print_in_the_printer_s_code_page(tmp_path, encoding):
    url, emulator = start(tmp_path, "tcp", encoding=encoding)
    printer = PosnetPrinter(with_options(url, f"timeout=0.3&settle=1&encoding={encoding}"), MemoryJournal())
    try:
        lines = [FiscalLine(name, 1, 100 + n, "A", 100 + n) for n, name in enumerate(NAMES)]
        total = sum(line.amount for line in lines)
        receipt = FiscalReceipt("SALE-NAMES", lines, total, [Payment("card", total)])
        printer.fiscalise(receipt)
        printed = [line["name"] for line in emulator.memory.receipts[0]["lines"]]
        assert printed == list(NAMES.values())
    finally:
        printer.close()
        emulator.stop()


def test_a_basket_discount_goes_to_the_printer_as_a_bill_discount(link):
    printer, emulator = link
    lines = [FiscalLine("Chleb", 3, 333, "B", 999), FiscalLine("Woda", 1, 1001, "A", 1001),
             FiscalLine("Jabłka", 1250, 499, "C", 624, weighed=True)]
    receipt = FiscalReceipt("SALE-BILL", lines, total=2624 - 101, payments=[Payment("card", 2523)], discount=101)
    printer.fiscalise(receipt)
    recorded = emulator.memory.receipts[0]
    assert [line["discount"] for line in recorded["lines"]] == [0, 0, 0]  # not spread over the lines
    assert recorded["total"] == 2523
    assert recorded["totals_by_vat"] == printed_totals(receipt) and sum(printed_totals(receipt).values()) == 2523


def test_the_system_number_is_the_whole_sale_reference(link):
    printer, emulator = link
    reference = "0192d3a4-5b6c-7d8e-9fa0-b1c2d3e4f5a6"
    printer.fiscalise(FiscalReceipt(reference, [FiscalLine("Kawa", 1, 1999, "A", 1999)], 1999,
                                    [Payment("cash", 2000)]))
    assert emulator.memory.receipts[0]["reference"] == system_number(reference)


def test_a_one_grosz_mismatch_names_both_totals(link):
    printer, emulator = link
    receipt = FiscalReceipt("SALE-GROSZ", [FiscalLine("Ser", 352, 3999, "A", 1408, weighed=True)], total=1407)
    with pytest.raises(DeviceError) as refused:
        printer.fiscalise(receipt)
    error = refused.value
    assert error.code == "total_mismatch" and not error.ambiguous
    assert error.details == {"printer_total": 1408, "till_total": 1407}
    assert "14.08" in error.message and "14.07" in error.message
    assert emulator.memory.receipts == [] and emulator.memory.data["cancelled"] == 1


def test_what_the_printer_would_refuse_is_known_before_anything_is_sent(link):
    printer, emulator = link
    big = FiscalReceipt("SALE-BIG", [FiscalLine("Samochód", 1, 100_000_000, "A", 100_000_000)], 100_000_000)
    assert printer.refusal(big).code == "amount_too_large"
    with pytest.raises(DeviceError) as refused:
        printer.fiscalise(big)
    assert refused.value.code == "amount_too_large"
    nameless = FiscalReceipt("SALE-EMOJI", [FiscalLine("\u200b\n\t", 1, 100, "A", 100)], 100)
    assert printer.refusal(nameless).code == "name_not_printable"
    assert emulator.memory.receipts == [] and emulator.memory.data["cancelled"] == 0
    assert printer.refusal(sale(1)) is None


def test_the_emulator_refuses_what_a_strict_printer_refuses(link):
    """Without transliteration a Czech letter or a line feed would be refused (ERR_LINE), and an amount
    above the model's maximum too: the emulator is as strict as the spec."""
    printer, emulator = link
    printer._command("trinit", [("bm", "0")])
    for name in ("Řízek", "Chleb\nżytni"):
        with pytest.raises(DeviceError) as refused:
            printer._command("trline", [("na", name), ("vt", "0"), ("pr", "100"), ("il", "1")])
        assert refused.value.posnet_error == 2055
    printer._command("prncancel")
