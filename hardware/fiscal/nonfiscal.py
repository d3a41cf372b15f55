"""Stores without a fiscal device (Czechia since EET ended, or a till that only
prints plain receipts): the sale is recorded as having no fiscal document."""
from __future__ import annotations

import datetime as dt

from .base import DailyReport, FiscalPrinter, FiscalReceipt, FiscalResult, LastCompleted


class NonFiscalPrinter(FiscalPrinter):
    kind = "no_fiscal_device"
    fiscal = False

    def __init__(self, url: str = "nonfiscal://", journal=None):
        super().__init__(url, journal)
        self._last: FiscalResult | None = None
        self._day_totals: dict[str, int] = {}

    def _open(self) -> None:
        pass

    def _checkpoint(self, receipt: FiscalReceipt) -> dict:
        return {}

    def _print(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult:
        result = FiscalResult(receipt.reference, None, fiscal=False, total=receipt.total)
        for letter, amount in receipt.totals_by_vat.items():
            self._day_totals[letter] = self._day_totals.get(letter, 0) + amount
        self._last = result
        return result

    def _outcome(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        return None  # nothing can have half-happened: no device

    def last_completed(self) -> LastCompleted:
        if self._last is None:
            return LastCompleted(None)
        return LastCompleted(None, self._last.reference, self._last.total)

    def cancel(self) -> None:
        pass

    def daily_report(self, date: dt.date | None = None) -> DailyReport:
        report = DailyReport(None, date or dt.date.today(), dict(self._day_totals), fiscal=False)
        self._day_totals = {}
        return report

    def read_clock(self) -> dt.datetime | None:
        return None  # no device clock to disagree with the till's

    def read_vat_rates(self) -> dict[str, int | None]:
        return {}

    def check_configuration(self, expected_vat, max_clock_skew, now=None) -> None:
        pass  # nothing on a device to check

    def status(self) -> dict:
        return {**super().status(), "fiscal": False}
