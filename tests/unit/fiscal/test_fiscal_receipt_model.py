import datetime as dt

import pytest

from hardware.device import DeviceError
from hardware.fiscal import FiscalLine, FiscalReceipt, FiscalResult, MemoryJournal, Payment, open_fiscal_printer
from hardware.fiscal.base import FiscalPrinter


def test_weighed_line_is_priced_per_kilogram_rounded_half_up():
    # 0.352 kg × 39.99 zł/kg = 14.07648 zł → 14.08 zł; 0.125 kg × 0.20 zł/kg = 0.025 → 0.03 (half up)
    assert FiscalLine("Gouda", 352, 3999, "A", 1408, weighed=True).gross == 1408
    assert FiscalLine("Salt", 125, 20, "A", 3, weighed=True).gross == 3
    with pytest.raises(ValueError):  # not weighed, 352 is pieces: 1408 is not their value
        FiscalLine("Gouda", 352, 3999, "A", 1408)


def test_line_amount_must_be_value_less_discount():
    with pytest.raises(ValueError):
        FiscalLine("Bread", 2, 450, "B", 900, discount=50)
    assert FiscalLine("Bread", 2, 450, "B", 850, discount=50).amount == 850
    with pytest.raises(ValueError):
        FiscalLine("Bread", 1, 450, "H", 450)


def test_receipt_totals_per_vat_and_change():
    receipt = FiscalReceipt("S-1", [FiscalLine("Bread", 2, 450, "B", 900),
                                    FiscalLine("Wine", 1, 3999, "A", 3999),
                                    FiscalLine("Rolls", 3, 100, "B", 300)],
                            total=5199, payments=[Payment("card", 3000), Payment("cash", 3000)])
    assert receipt.totals_by_vat == {"A": 3999, "B": 1200}
    assert receipt.change == 801


def test_no_fiscal_device_records_that_no_fiscal_document_exists():
    printer = open_fiscal_printer("nonfiscal://")
    receipt = FiscalReceipt("CZ-1", [FiscalLine("Rohlík", 4, 300, "B", 1200)], total=1200)
    result = printer.fiscalise(receipt)
    assert result.fiscal is False and result.device_receipt_number is None and result.total == 1200
    assert printer.last_completed().reference == "CZ-1"
    printer.check_configuration({"A": 2100}, dt.timedelta(minutes=1))  # nothing to disagree with
    report = printer.daily_report(dt.date(2025, 1, 2))
    assert report.fiscal is False and report.totals_by_vat == {"B": 1200}


class ScriptedPrinter(FiscalPrinter):
    """A device answering from a script: exercises the journal algorithm alone."""

    def __init__(self, outcomes):
        super().__init__("nonfiscal://scripted")
        self.outcomes = list(outcomes)
        self.printed = []
        self.asked = 0

    def _open(self):
        pass

    def _checkpoint(self, receipt):
        return {"printed_before": len(self.printed)}

    def _print(self, receipt, checkpoint):
        outcome = self.outcomes.pop(0)
        if outcome == "ok":
            self.printed.append(receipt.reference)
            return FiscalResult(receipt.reference, str(len(self.printed)), total=receipt.total)
        if outcome == "done-but-lost":
            self.printed.append(receipt.reference)
        raise DeviceError("no_reply", "lost", "retry", ambiguous=outcome != "refused")

    def _outcome(self, receipt, checkpoint):
        self.asked += 1
        if len(self.printed) > checkpoint["printed_before"]:
            return FiscalResult(receipt.reference, str(len(self.printed)), total=receipt.total, recovered=True)
        return None


RECEIPT = FiscalReceipt("S-9", [FiscalLine("Tea", 1, 500, "A", 500)], total=500)


def test_a_lost_answer_after_printing_is_recovered_not_printed_again():
    printer = ScriptedPrinter(["done-but-lost"])
    result = printer.fiscalise(RECEIPT)
    assert result.recovered and printer.printed == ["S-9"] and printer.asked == 1
    assert printer.fiscalise(RECEIPT) == result  # the journal says done: nothing sent
    assert printer.printed == ["S-9"]


def test_a_lost_command_that_did_not_print_is_sent_again_once():
    printer = ScriptedPrinter(["lost", "ok"])
    assert printer.fiscalise(RECEIPT).recovered is False
    assert printer.printed == ["S-9"]


def test_a_clear_refusal_is_not_retried_and_is_journalled_as_failed():
    journal = MemoryJournal()
    printer = ScriptedPrinter(["refused"])
    printer.journal = journal
    with pytest.raises(DeviceError):
        printer.fiscalise(RECEIPT)
    assert journal.load("S-9")["status"] == "failed" and printer.asked == 0


def test_a_sale_left_sending_by_a_crashed_till_is_settled_before_anything_is_sent():
    journal = MemoryJournal()
    printer = ScriptedPrinter([])
    printer.journal = journal
    printer.printed.append("S-9")  # the printer printed it; the till died before hearing
    journal.save("S-9", {"status": "sending", "checkpoint": {"printed_before": 0}})
    assert printer.fiscalise(RECEIPT).recovered
    assert printer.printed == ["S-9"]


def test_a_receipt_discount_is_split_over_the_vat_totals_and_stays_below_the_lines():
    lines = [FiscalLine("Bread", 2, 450, "B", 900), FiscalLine("Wine", 1, 3999, "A", 3999)]
    receipt = FiscalReceipt("S-2", lines, total=4899 - 100, discount=100)
    assert sum(receipt.totals_by_vat.values()) == 4799 and receipt.totals_by_vat["A"] < 3999
    with pytest.raises(ValueError):
        FiscalReceipt("S-3", lines, total=0, discount=4899)
    with pytest.raises(ValueError):
        FiscalReceipt("S-4", lines, total=4899, discount=-1)
