"""Fiscal printers against their emulators: real pty pairs, real sockets on 127.0.0.1."""
from __future__ import annotations

from pathlib import Path

import pytest

from hardware.fiscal import FiscalLine, FiscalReceipt, MemoryJournal, Payment
from hardware.fiscal.posnet.driver import PosnetPrinter
from hardware.fiscal.posnet.emulator import start_posnet_emulator

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
TIMEOUTS = "timeout=0.3&settle=3"  # short: a lost answer costs 0.3 s, not a real printer's 5 s


def with_options(url: str, options: str = TIMEOUTS) -> str:
    return url + ("&" if "?" in url else "?") + options


@pytest.fixture(params=["pty", "tcp"])
def posnet(request, tmp_path):
    """(printer, emulator) over a pty pair and over TCP."""
    url, emulator = start_posnet_emulator(tmp_path / "posnet-memory.json", request.param, late_reply_delay=0.6)
    printer = PosnetPrinter(with_options(url), MemoryJournal())
    printer.open()
    yield printer, emulator
    printer.close()
    emulator.stop()


@pytest.fixture
def noviapi_spec() -> Path:
    path = SHARED / "specs" / "fiscal" / "novitus" / "noviapi_dist.json"
    if not path.exists():
        pytest.skip(f"{path} is not here: ../shared (the published specs) sits beside the repo in CI")
    return path


@pytest.fixture
def noviapi(tmp_path, noviapi_spec):
    from hardware.fiscal.novitus.driver import NoviApiPrinter
    from hardware.fiscal.novitus.emulator import start_noviapi_emulator

    url, emulator = start_noviapi_emulator(tmp_path / "noviapi-memory.json", spec_path=noviapi_spec,
                                           late_reply_delay=0.6)
    printer = NoviApiPrinter(with_options(url), MemoryJournal())
    printer.open()
    yield printer, emulator
    printer.close()
    emulator.stop()
    assert emulator.response_errors == []  # the emulator only ever answered what the spec allows


def sale(number: int, variant: int = 0) -> FiscalReceipt:
    """A small mixed basket; variants differ in VAT letters, weighed goods and discounts."""
    lines = [FiscalLine("Chleb żytni", 1 + variant % 3, 450, "B", 450 * (1 + variant % 3))]
    if variant % 2:
        lines.append(FiscalLine("Ser gouda", 352, 3999, "A", 1308, discount=100, weighed=True))
    else:
        lines.append(FiscalLine("Woda mineralna", 6, 199, "A", 1194))
    if variant % 3 == 2:
        lines.append(FiscalLine("Jabłka", 1250, 499, "C", 624, weighed=True))
    total = sum(line.amount for line in lines)
    payments = [Payment("cash", (total // 1000 + 1) * 1000)] if variant % 2 else [Payment("card", total)]
    return FiscalReceipt(f"SALE-{number:05d}", lines, total=total, payments=payments)


def assert_exactly_once(memory, reported: dict) -> None:
    """Each reported sale is in fiscal memory exactly once, nothing else is, and the
    totals per VAT letter (all days) equal the sum of what the driver reported."""
    references = [r["reference"] for r in memory.receipts]
    assert sorted(references) == sorted(reported), references
    expected: dict[str, int] = {}
    for receipt in reported.values():
        for letter, amount in receipt.totals_by_vat.items():
            expected[letter] = expected.get(letter, 0) + amount
    assert {k: v for k, v in memory.all_totals().items() if v} == expected
