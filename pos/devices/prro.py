"""Ukraine's PRRO (Checkbox) at the till: the law's offline limits checked before a sale is taken.

A PRRO may fiscalise offline for at most 36 hours in one session and 168 hours in a calendar month (the
driver counts them, see hardware/fiscal/checkbox/offline.py).  At the limit a paid sale could not be
fiscalised, so the till refuses the checkout before payment instead of leaving a sale stuck; near the
limit the cashier is warned with each sale and in the device list.
"""
from __future__ import annotations

from pos.devices.station import Station


class FiscalSalesStopped(Exception):
    """The fiscal device may not fiscalise now (an offline limit is reached): no sale may be taken."""

    def __init__(self, allowance: dict):
        super().__init__(f"offline limit reached ({allowance.get('limit')})")
        self.allowance = allowance


def fiscal_allowance(station: Station) -> dict | None:
    """What the till's fiscal device still may do offline; None when it has no such limits or is not open.

    Read from the device's own book: no network, so a checkout never waits on it."""
    device = station.devices.get("fiscal")
    if device is None:
        return None
    return device.offline_allowance()


def check_before_sale(station: Station) -> dict | None:
    """The allowance (for a warning), or FiscalSalesStopped when a limit is reached."""
    allowance = fiscal_allowance(station)
    if allowance is not None and allowance["state"] == "refused":
        raise FiscalSalesStopped(allowance)
    return allowance
