"""The Checkbox driver against the Checkbox emulator over real HTTP on 127.0.0.1, with a clock the test
moves (the law's offline limits are counted in hours)."""
from __future__ import annotations

import contextlib
import datetime as dt
import threading

import pytest

from hardware.fiscal import FiscalLine, FiscalReceipt, MemoryJournal, Payment
from tests.conftest import shared_path

LICENCE = "test-licence-key"
PIN = "1111"


class Clock:
    """Shared by the till and the emulator: both see the same hours go by."""

    def __init__(self, start: dt.datetime):
        self.moment = start
        self._lock = threading.Lock()

    def __call__(self) -> dt.datetime:
        with self._lock:
            return self.moment

    def advance(self, **delta) -> None:
        with self._lock:
            self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    # 1 December 2026, 00:00 in Kyiv: a calendar month of offline hours starts here
    return Clock(dt.datetime(2026, 11, 30, 22, 0, tzinfo=dt.timezone.utc))


@pytest.fixture
def checkbox_env(monkeypatch):
    """The till's secrets come from its environment, never from the device address."""
    monkeypatch.setenv("CHECKBOX_LICENSE_KEY", LICENCE)
    monkeypatch.setenv("CHECKBOX_CASHIER_PIN", PIN)


@contextlib.contextmanager
def running_emulator(clock=None):
    """The Checkbox emulator on 127.0.0.1, checked when it stops: every request the till sent was valid under
    the published document, and the emulator only answered what the document allows."""
    from simulators.checkbox import CheckboxEmulator

    emulator = CheckboxEmulator(spec_path=shared_path("specs", "fiscal", "checkbox", "checkbox_openapi.json"),
                                license_key=LICENCE, pin_code=PIN, clock=clock)
    emulator.start()
    yield emulator
    emulator.stop()
    assert emulator.rejected == []
    assert emulator.response_errors == []


@pytest.fixture
def emulator(clock):
    with running_emulator(clock) as emulator:
        yield emulator


def checkbox_url(emulator, tmp_path, **options) -> str:
    query = {"timeout": "0.5", "settle": "2", "retry": "0", "codes": "20", "state": str(tmp_path / "checkbox.json")}
    query.update(options)
    return emulator.url.replace("http://", "checkbox+http://") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


@pytest.fixture
def till(emulator, tmp_path, clock, checkbox_env):
    from hardware.fiscal.checkbox import CheckboxPrinter

    printer = CheckboxPrinter(checkbox_url(emulator, tmp_path), MemoryJournal(), clock=clock)
    printer.open()
    yield printer
    printer.close()


def basket(reference: str, *, cash: bool = False, is_return: bool = False, related: str | None = None) -> FiscalReceipt:
    """Bread ×2 (20 %), 352 g of cheese at 399.90/kg with a 1.00 discount (7 %), water (0 %)."""
    lines = [FiscalLine("Хліб житній", 2, 2850, "A", 5700, code="SKU-1"),
             FiscalLine("Сир твердий", 352, 39990, "B", 13976, discount=100, weighed=True, unit="kg", code="SKU-2"),
             FiscalLine("Вода", 1, 1800, "C", 1800, code="SKU-3")]
    total = sum(line.amount for line in lines)
    payments = [Payment("cash", 30000)] if cash else [Payment("card", total)]
    return FiscalReceipt(reference, lines, total=total, payments=payments, currency="UAH", cashier="Оксана",
                         is_return=is_return, related_reference=related)
