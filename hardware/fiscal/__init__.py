"""Fiscal devices: one interface for every country's way of recording a sale.

Open one from its URL with :func:`open_fiscal_printer`; see ``base`` for the
receipt model and the exactly-once algorithm.
"""
from .base import (AttemptJournal, DailyReport, FiscalLine, FiscalPrinter, FiscalReceipt, FiscalResult,
                   LastCompleted, MemoryJournal, Payment, fiscalise_once)
from .factory import open_fiscal_printer

__all__ = ["AttemptJournal", "DailyReport", "FiscalLine", "FiscalPrinter", "FiscalReceipt", "FiscalResult",
           "LastCompleted", "MemoryJournal", "Payment", "fiscalise_once", "open_fiscal_printer"]
