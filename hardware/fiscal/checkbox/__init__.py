"""Checkbox, the Ukrainian cloud PRRO: see ``driver`` for the address, exactly-once and offline mode."""
from .driver import CheckboxPrinter
from .offline import MONTH_LIMIT, SESSION_LIMIT, Allowance, OfflineBook

__all__ = ["Allowance", "CheckboxPrinter", "MONTH_LIMIT", "OfflineBook", "SESSION_LIMIT"]
