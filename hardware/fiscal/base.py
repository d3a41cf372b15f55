"""What every fiscal device does for a sale, whatever its protocol.

A fiscal printer (POSNET, NoviAPI), a Ukrainian PRRO (a later driver) or "no
fiscal device" (Czechia) all take the same :class:`FiscalReceipt` and answer with
a :class:`FiscalResult`.  Nothing here knows about frames or HTTP.

Exactly once
------------
A receipt must reach the tax authority's memory once: never lost, never twice.
The risky moment is the one where the device may have acted but we never heard
(timeout after the command that closes the receipt, a reply lost, power cut).
:meth:`FiscalPrinter.fiscalise` therefore works with an *attempt journal* kept
by the app (:class:`AttemptJournal`, one JSON-able dict per sale reference):

1. If the journal says the sale is ``done``, return what it recorded.
2. If the journal says ``sending`` (an earlier attempt may or may not have gone
   through, e.g. the till crashed or the reply was lost), ask the device what it
   last completed, comparing with the *checkpoint* saved before that attempt
   (:meth:`_outcome`).  Done → record and return its number.  Not done → the
   driver has cancelled any open transaction; go on to send.
3. Take a fresh checkpoint (counters / a stored request id), save
   ``sending`` + checkpoint in the journal, THEN send the receipt.
4. On success save ``done``.  On a clear refusal (non-ambiguous error) save
   ``failed`` and raise: nothing was fiscalised.  On an ambiguous failure go to
   step 2 at once, before anything else is sent; if the device cannot answer,
   raise the ambiguous error and leave ``sending`` in the journal, so the next
   call (after a restart too) settles it first.

Drivers provide ``_checkpoint``, ``_print`` and ``_outcome``; each explains in its
own module docstring how it tells "done" from "not done".
"""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import asdict, dataclass, field
from typing import Protocol

from hardware.device import Device, DeviceError

VAT_LETTERS = "ABCDEFG"
# faults that mean the device is not there (as opposed to refusing something)
OFFLINE_CODES = ("offline", "no_reply")
PAYMENT_METHODS = ("cash", "card", "cheque", "coupon", "credit", "voucher", "account", "transfer", "mobile", "other")


@dataclass(frozen=True)
class FiscalLine:
    """One sold item.  ``quantity`` is pieces, or grams when ``weighed``; then
    ``unit_price`` is per kilogram.  ``amount`` is what the customer pays for the
    line after ``discount`` (all money in minor units)."""

    name: str
    quantity: int
    unit_price: int
    vat: str
    amount: int
    discount: int = 0
    weighed: bool = False
    unit: str | None = None
    code: str | None = None  # the product's code (SKU) where the device records one (Checkbox)

    def __post_init__(self):
        if self.vat not in VAT_LETTERS or len(self.vat) != 1:
            raise ValueError(f"VAT letter must be one of {VAT_LETTERS}, got {self.vat!r}")
        if self.quantity <= 0 or self.unit_price <= 0:
            raise ValueError(f"{self.name}: quantity and unit price must be positive")
        if self.discount < 0 or self.discount >= self.gross:
            raise ValueError(f"{self.name}: discount must be below the line value")
        if self.amount != self.gross - self.discount:
            raise ValueError(f"{self.name}: amount {self.amount} != {self.gross} - discount {self.discount}")

    @property
    def gross(self) -> int:
        """Line value before discount; weighed goods round half up to the grosz
        as the printers do."""
        if self.weighed:
            return (self.quantity * self.unit_price + 500) // 1000
        return self.quantity * self.unit_price


@dataclass(frozen=True)
class Payment:
    method: str  # one of PAYMENT_METHODS
    amount: int
    name: str | None = None

    def __post_init__(self):
        if self.method not in PAYMENT_METHODS:
            raise ValueError(f"payment method must be one of {PAYMENT_METHODS}")
        if self.amount <= 0:
            raise ValueError("payment amount must be positive")


@dataclass(frozen=True)
class FiscalReceipt:
    """A sale as the fiscal device must record it.  ``reference`` is the sale id:
    the idempotency key, printed as the receipt's system number where the
    protocol allows.  ``total`` is what the till believes; the device checks it.  ``discount`` is a
    discount on the whole receipt (the basket's), on top of the lines' own: ``total`` is the lines'
    amounts less it."""

    reference: str
    lines: tuple[FiscalLine, ...]
    total: int
    payments: tuple[Payment, ...] = ()
    currency: str = "PLN"
    cashier: str | None = None
    discount: int = 0
    # a return receipt (Checkbox RETURN) and the sale it refers to, where the device records returns
    is_return: bool = False
    related_reference: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "payments", tuple(self.payments))
        if not self.reference:
            raise ValueError("a fiscal receipt needs the sale reference")
        if not self.lines:
            raise ValueError("a fiscal receipt needs at least one line")
        if self.discount < 0 or self.discount >= sum(line.amount for line in self.lines):
            raise ValueError("the receipt's discount must be below the value of its lines")

    @property
    def totals_by_vat(self) -> dict[str, int]:
        """Per VAT letter, the receipt's discount split in proportion (largest remainders): a device
        with its own rule says so (POSNET: ``hardware.fiscal.posnet.totals``)."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.vat] = totals.get(line.vat, 0) + line.amount
        if self.discount:
            letters = sorted(totals)
            weights = [totals[k] for k in letters]
            whole = sum(weights)
            shares = [self.discount * w // whole for w in weights]
            order = sorted(range(len(letters)), key=lambda i: (-(self.discount * weights[i] % whole), i))
            for i in order[: self.discount - sum(shares)]:
                shares[i] += 1
            totals = {k: totals[k] - share for k, share in zip(letters, shares)}
        return totals

    @property
    def paid(self) -> int:
        return sum(p.amount for p in self.payments)

    @property
    def change(self) -> int:
        return max(0, self.paid - self.total) if self.payments else 0


@dataclass(frozen=True)
class FiscalResult:
    reference: str
    device_receipt_number: str | None
    fiscal: bool = True
    total: int | None = None
    recovered: bool = False  # found done after an ambiguous failure, not printed again
    details: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "FiscalResult":
        return cls(**data)


@dataclass(frozen=True)
class LastCompleted:
    """What the device says it last completed.  ``reference`` and ``total`` are
    None where the protocol cannot tell them."""

    receipt_number: str | None
    reference: str | None = None
    total: int | None = None
    details: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DailyReport:
    number: int | None
    date: dt.date
    totals_by_vat: dict[str, int]
    fiscal: bool = True


class AttemptJournal(Protocol):
    """Where the app keeps one state dict per sale reference (its DB).  The dict
    is JSON-able; ``save`` must be durable before it returns."""

    def load(self, reference: str) -> dict | None: ...

    def save(self, reference: str, state: dict) -> None: ...


class MemoryJournal:
    """An in-process journal: enough for a till that has no database (tests, demo)."""

    def __init__(self):
        self._states: dict[str, dict] = {}
        self._lock = threading.Lock()

    def load(self, reference: str) -> dict | None:
        with self._lock:
            state = self._states.get(reference)
            return dict(state) if state else None

    def save(self, reference: str, state: dict) -> None:
        with self._lock:
            self._states[reference] = dict(state)


class FiscalPrinter(Device):
    """The interface the app calls.  See the module docstring for the
    exactly-once algorithm implemented by :meth:`fiscalise`."""

    kind = "fiscal_printer"
    fiscal = True
    #: True where a return is fiscalised as a receipt of its own (Ukraine's PRRO); elsewhere it is not fiscal
    records_returns = False
    #: how many times a receipt is sent when the device says it did not complete it
    max_attempts = 2

    def __init__(self, url: str, journal: AttemptJournal | None = None):
        super().__init__(url)
        self.journal: AttemptJournal = journal or MemoryJournal()
        #: when the device stopped answering (UTC), None while it answers
        self.offline_since: dt.datetime | None = None

    def status(self) -> dict:
        status = super().status()
        status["offline_since"] = self.offline_since.isoformat(timespec="seconds") if self.offline_since else None
        return status

    def refusal(self, receipt: FiscalReceipt) -> "DeviceError | None":
        """What the device would certainly refuse in this receipt (too large an amount, a name it cannot
        print), known without asking it: the till checks this before taking payment."""
        return None

    def wake(self) -> None:
        """Forget any pause between reconnection attempts: the next command tries the device now."""

    def probe(self) -> bool:
        """Whether the device answers now, asked as cheaply as the protocol allows (a reconnect watcher
        asks this before it takes the till's lock for a whole queue)."""
        return True

    # the app's entry points --------------------------------------------------
    def fiscalise(self, receipt: FiscalReceipt) -> FiscalResult:
        with self._lock:
            self._require_open()
            state = self.journal.load(receipt.reference) or {}
            if state.get("status") == "done":
                return FiscalResult.from_dict(state["result"])
            if state.get("status") == "sending":
                result = self._settle(receipt, state["checkpoint"])
                if result is not None:
                    return result
            last_error: DeviceError | None = None
            for _ in range(self.max_attempts):
                checkpoint = self._checkpoint(receipt)
                self.journal.save(receipt.reference, {"status": "sending", "checkpoint": checkpoint})
                try:
                    result = self._print(receipt, checkpoint)
                except DeviceError as exc:
                    if not exc.ambiguous:
                        self.journal.save(receipt.reference, {"status": "failed", "error": exc.as_dict()})
                        self._fail(exc)
                        raise
                    last_error = exc
                    settled = self._settle(receipt, checkpoint)
                    if settled is not None:
                        return settled
                    continue
                self._record_done(receipt, result)
                return result
            assert last_error is not None
            error = DeviceError(last_error.code, last_error.message, last_error.action, ambiguous=False)
            self.journal.save(receipt.reference, {"status": "failed", "error": error.as_dict()})
            self._fail(error)
            raise error

    def settle(self, receipt: FiscalReceipt) -> FiscalResult | None:
        """Decide a sale the journal left ``sending`` (e.g. on start-up, before any
        new sale): its result if the device completed it, None if it did not."""
        with self._lock:
            self._require_open()
            state = self.journal.load(receipt.reference) or {}
            if state.get("status") == "done":
                return FiscalResult.from_dict(state["result"])
            if state.get("status") != "sending":
                return None
            return self._settle(receipt, state["checkpoint"])

    def check_configuration(self, expected_vat: dict[str, int | None], max_clock_skew: dt.timedelta,
                            now: dt.datetime | None = None) -> None:
        """Refuse to sell when the device's VAT table or clock differ from the
        store's: a wrong rate on a fiscal receipt is a tax offence."""
        rates = self.read_vat_rates()
        wrong = {letter: (rate, rates.get(letter, "inactive")) for letter, rate in expected_vat.items()
                 if letter not in rates or rates[letter] != rate}
        if wrong:
            shown = ", ".join(f"{k}: store {_rate(v[0])}, device {_rate(v[1])}" for k, v in sorted(wrong.items()))
            raise DeviceError("vat_mismatch", f"The fiscal printer's VAT rates differ from the store's ({shown}).",
                              "Do not sell: have the service technician program the VAT rates, "
                              "or correct the store's VAT configuration.")
        clock = self.read_clock()
        if clock is not None:
            now = now or dt.datetime.now()
            skew = abs(clock - now)
            if skew > max_clock_skew:
                raise DeviceError("clock_skew", f"The fiscal printer's clock ({clock:%Y-%m-%d %H:%M}) differs from "
                                  f"the till's ({now:%Y-%m-%d %H:%M}) by {skew}.",
                                  "Check the till's time; the printer's clock may only be corrected once a day "
                                  "by up to an hour (service technician beyond that).")

    # what drivers implement --------------------------------------------------
    def last_completed(self) -> LastCompleted:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError

    def daily_report(self, date: dt.date | None = None) -> DailyReport:
        raise NotImplementedError

    def read_clock(self) -> dt.datetime | None:
        raise NotImplementedError

    def read_vat_rates(self) -> dict[str, int | None]:
        raise NotImplementedError

    def offline_allowance(self) -> dict | None:
        """For a device that may fiscalise offline within legal limits (Ukraine's PRRO): its state
        (online | offline | warning | refused) and the hours used and left; None elsewhere."""
        return None

    def _checkpoint(self, receipt: FiscalReceipt) -> dict:
        raise NotImplementedError

    def _print(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult:
        raise NotImplementedError

    def _outcome(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        """Done → its result (recovered=True); not done → None, with any open
        transaction cancelled.  Raises an ambiguous DeviceError when it cannot tell yet."""
        raise NotImplementedError

    # helpers -----------------------------------------------------------------
    def _fail(self, error: DeviceError) -> None:
        super()._fail(error)
        if error.code in OFFLINE_CODES and self.offline_since is None:
            self.offline_since = dt.datetime.now(dt.timezone.utc)

    def _ok(self) -> None:
        super()._ok()
        self.offline_since = None

    def _settle(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        try:
            result = self._outcome(receipt, checkpoint)
        except DeviceError as exc:
            self._fail(exc)
            raise
        if result is None:
            self.journal.save(receipt.reference, {"status": "not_done", "checkpoint": checkpoint})
            return None
        self._record_done(receipt, result)
        return result

    def _record_done(self, receipt: FiscalReceipt, result: FiscalResult) -> None:
        self.journal.save(receipt.reference, {"status": "done", "result": result.as_dict()})
        self._ok()

    def _require_open(self) -> None:
        if self.state.value == "closed":
            self.open()


def _rate(rate) -> str:
    if rate == "inactive":
        return "inactive"
    return "exempt" if rate is None else f"{rate / 100:.2f}%"


def fiscalise_once(printer: FiscalPrinter, receipt: FiscalReceipt, journal: AttemptJournal) -> FiscalResult:
    """Fiscalise with the app's own journal (its DB) for this one call."""
    with printer._lock:
        previous, printer.journal = printer.journal, journal
        try:
            return printer.fiscalise(receipt)
        finally:
            printer.journal = previous
