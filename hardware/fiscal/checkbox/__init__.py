"""Checkbox, the Ukrainian cloud PRRO: ``driver`` (address, exactly-once, offline mode), ``client`` (its HTTP API),
``offline`` (reserved codes and the law's offline limits)."""
from .driver import CheckboxPrinter
from .offline import MONTH_LIMIT, SESSION_LIMIT, Allowance, OfflineBook

__all__ = ["Allowance", "CheckboxPrinter", "MONTH_LIMIT", "OfflineBook", "SESSION_LIMIT"]
