import datetime as dt

import pytest
import requests

from hardware.device import DeviceError
from hardware.fiscal import FiscalReceipt, MemoryJournal, open_fiscal_printer
from hardware.fiscal.emulation import FAULTS, inject_remote
from hardware.fiscal.novitus.driver import NoviApiPrinter
from hardware.fiscal.novitus.emulator import NoviApiEmulator, start_noviapi_emulator

from tests.integration.fiscal.conftest import TIMEOUTS, assert_exactly_once, sale, with_options

STORE_VAT = {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None}


def test_store_confirm_read_back_over_http(noviapi):
    printer, emulator = noviapi
    reported = {}
    for n in range(3):
        receipt = sale(n, n)
        result = printer.fiscalise(receipt)
        assert result.device_receipt_number == str(n + 1) and len(result.details["request_id"]) == 32
        reported[receipt.reference] = receipt
    assert_exactly_once(emulator.memory, reported)
    assert printer.last_completed().receipt_number == "3"
    assert emulator.rejected == [] or all("Security" in r for r in emulator.rejected)  # only the token-less first call


def test_vat_check_and_daily_report(noviapi):
    printer, emulator = noviapi
    assert printer.read_vat_rates() == STORE_VAT
    printer.check_configuration(STORE_VAT, dt.timedelta(minutes=5))  # NoviAPI has no clock read: VAT only
    with pytest.raises(DeviceError) as wrong:
        printer.check_configuration({"A": 2300, "B": 700}, dt.timedelta(minutes=5))
    assert wrong.value.code == "vat_mismatch"
    receipt = sale(1, 1)
    printer.fiscalise(receipt)
    report = printer.daily_report()
    assert report.totals_by_vat == receipt.totals_by_vat and report.number == 1
    assert emulator.memory.day_totals == {}
    with pytest.raises(DeviceError) as again:
        printer.daily_report()
    assert again.value.code == "printer_refused"


def test_the_printer_refuses_a_wrong_total_and_prints_nothing(noviapi):
    printer, emulator = noviapi
    good = sale(1)
    with pytest.raises(DeviceError) as refused:
        printer.fiscalise(FiscalReceipt("SALE-WRONG", good.lines, total=good.total - 1))
    assert refused.value.code == "printer_refused" and not refused.value.ambiguous
    assert emulator.memory.receipts == []


def test_the_emulator_rejects_what_the_spec_rejects(noviapi):
    printer, emulator = noviapi
    base = emulator.url
    assert requests.post(f"{base}/api/v1/receipt", json={"receipt": {}}, timeout=2).status_code == 401
    token = requests.get(f"{base}/api/v1/token", timeout=2).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    bad = {"receipt": {"items": [{"article": {"name": "X", "ptu": "A", "price": "1,00", "quantity": "1",
                                              "value": "1.00"}}], "summary": {"total": "1.00", "pay_in": "1.00"}}}
    answer = requests.post(f"{base}/api/v1/receipt", json=bad, headers=auth, timeout=2)
    assert answer.status_code == 400 and answer.json()["exception"]["errors"]
    assert requests.put(f"{base}/api/v1/receipt/tooshort", headers=auth, timeout=2).status_code == 404
    assert requests.put(f"{base}/api/v1/receipt/{'0' * 32}", headers=auth, timeout=2).status_code == 404
    assert emulator.memory.receipts == []


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_on_confirmation_keeps_every_sale_exactly_once(noviapi, fault):
    printer, emulator = noviapi
    reported, errors = {}, []
    for n in range(3):
        receipt = sale(n, n)
        if n == 1:
            inject_remote(emulator.control_url, fault, on="receipt.confirm")
        for _ in range(3):
            try:
                result = printer.fiscalise(receipt)
                break
            except DeviceError as exc:
                errors.append(exc)
                emulator.fix_mechanism()
        reported[receipt.reference] = receipt
        if n == 1:
            if fault in ("paper_out", "cover_open"):
                assert errors and errors[0].code == "printer_stopped" and errors[0].ambiguous
            assert result.recovered == (fault != "no_reply")
    assert_exactly_once(emulator.memory, reported)


def test_a_lost_store_is_just_stored_again(noviapi):
    printer, emulator = noviapi
    emulator.inject("no_reply", on="receipt.store")
    with pytest.raises(DeviceError) as lost:
        printer.fiscalise(sale(1))
    assert lost.value.code == "no_reply" and not lost.value.ambiguous
    printer.fiscalise(sale(1))
    assert_exactly_once(emulator.memory, {"SALE-00001": sale(1)})


def test_power_loss_then_restart_settles_by_totals(tmp_path, noviapi_spec):
    """The restarted printer forgot its request ids (404): the totals tell it was printed."""
    memory = tmp_path / "fm.json"
    journal = MemoryJournal()
    emulator = NoviApiEmulator(memory, spec_path=noviapi_spec, stay_off_after_power_loss=True)
    printer = NoviApiPrinter(with_options(emulator.start(), "timeout=0.3&settle=0.5"), journal)
    emulator.inject("power_loss", on="receipt.confirm")
    receipt = sale(1, 1)
    with pytest.raises(DeviceError) as lost:
        printer.fiscalise(receipt)
    assert lost.value.ambiguous and journal.load(receipt.reference)["status"] == "sending"
    printer.close()
    emulator.stop()
    url, emulator = start_noviapi_emulator(memory, spec_path=noviapi_spec)
    printer = NoviApiPrinter(with_options(url), journal)
    try:
        result = printer.fiscalise(receipt)
        assert result.recovered and result.details["by"] == "totals"
        printer.fiscalise(sale(2))
        assert_exactly_once(emulator.memory, {receipt.reference: receipt, "SALE-00002": sale(2)})
        assert emulator.response_errors == []
    finally:
        printer.close()
        emulator.stop()


def test_the_app_opens_the_noviapi_emulator_from_a_url(tmp_path, noviapi_spec):
    printer = open_fiscal_printer(f"emulator://noviapi?memory={tmp_path}/fm.json&{TIMEOUTS}")
    try:
        assert printer.url.startswith("http://127.0.0.1:")
        assert printer.fiscalise(sale(9)).device_receipt_number == "1"
    finally:
        printer.close()
