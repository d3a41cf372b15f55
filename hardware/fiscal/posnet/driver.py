"""POSNET Thermal fiscal printers over RS-232/USB-serial or TCP.

A receipt is ``ftrcfg sn<sale id>`` (the sale id printed as the system number),
``trinit``, one ``trline`` per item (VAT letter A–G sent as its number 0–6,
weighed goods as kilograms ``il0.352`` with the line value ``wa`` the till
computed, a line discount as ``rw``), ``trpayment`` per payment (and one with
``re1`` for the change) and ``trend to<total>``, which the printer refuses with
2805 when its own total differs.

Every command carries a token ``@NNNN`` which the printer echoes: a reply that
arrives after we gave up on it carries an old token and is thrown away, so a
late answer is never taken for the answer to a newer command.

How "done or not" is decided after an ambiguous failure (``_outcome``)
----------------------------------------------------------------------
The spec offers no way to read back a receipt's system number, so the driver
compares the printer's counters with a checkpoint taken just before the
receipt was started (``_checkpoint``): ``scnt`` → ``bn`` (number of the last
printed receipt), ``stot`` → ``pa``…``pg`` (the day's receipt totals per VAT
letter) and ``no`` (number of the next daily report).

1. Wait until the printer is idle: ``!sprn`` (asynchronous, answered even while
   the printer holds commands) must report the mechanism OK — otherwise raise
   paper out / cover open as *ambiguous* (a held ``trend`` still prints once
   the cashier fixes it) — and ``!sdev`` must report its command queue empty.
2. Read the counters.  ``bn`` = checkpoint + 1 and the totals grew by exactly
   this receipt's amounts per VAT letter → done: return ``bn`` (recovered).
3. ``bn`` and totals unchanged → not done: cancel the open transaction, if any
   (``strns to1`` → ``prncancel``), and let the caller send again.
4. Anything else (another receipt printed in between, a daily report closed
   the day) → ``needs_manual_check``: the till must not guess.
"""
from __future__ import annotations

import codecs
import datetime as dt
import itertools
import random
import time
import uuid

import serial

import hardware.mazovia  # noqa: F401  (registers the Mazovia code page for ?encoding=mazovia)
from hardware.device import DeviceError, DeviceState
from hardware.transliteration import POLISH_LETTERS, ascii_and, printable

from ..base import OFFLINE_CODES, VAT_LETTERS, DailyReport, FiscalPrinter, FiscalReceipt, FiscalResult, LastCompleted
from . import frame as posnet
from .errors import command_error, mechanism_error
from .totals import split_bill_discount

PAYMENT_TYPES = {"cash": 0, "card": 2, "cheque": 3, "coupon": 4, "credit": 5, "other": 6, "voucher": 7,
                 "account": 8, "transfer": 6, "mobile": 6}
TOTAL_FIELDS = {letter: "p" + letter.lower() for letter in VAT_LETTERS}
# Kwota's maximum (spec v021, "Typy danych"): Thermal FV EJ 99999999, Thermal HS FV EJ 9999999999
MAX_AMOUNT = {"HS": 9_999_999_999, "": 99_999_999}
NAME_LENGTH = 40  # trline na
SYSTEM_NUMBER_LENGTH = 30  # ftrcfg sn
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# a printer that vanished (power cut, cable pulled) is tried again after 0.5 s, 1 s, 2 s … at most 30 s
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 30.0


def system_number(reference: str) -> str:
    """The sale's reference as the receipt's system number (``sn``, at most 30 characters): a UUID
    in Crockford base32 (26 characters, the ULID alphabet: all 128 bits, nothing cut off), any
    other reference as it is when it fits."""
    try:
        value = uuid.UUID(reference).int
    except ValueError:
        if len(reference) > SYSTEM_NUMBER_LENGTH or not reference.isascii() or not reference.isprintable():
            raise DeviceError("bad_reference", f"The sale reference {reference!r} does not fit the printer's "
                              f"system number ({SYSTEM_NUMBER_LENGTH} ASCII characters).", "Call support.")
        return reference
    return "".join(CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def reference_of(number: str) -> str:
    """The sale id back from a system number written by :func:`system_number`."""
    if len(number) != 26 or any(char not in CROCKFORD for char in number):
        return number
    value = 0
    for char in number:
        value = value * 32 + CROCKFORD.index(char)
    return str(uuid.UUID(int=value))


class PosnetPrinter(FiscalPrinter):
    kind = "fiscal_printer/posnet"

    def __init__(self, url: str, journal=None, *, timeout: float | None = None, settle_timeout: float | None = None,
                 encoding: str | None = None):
        super().__init__(url, journal)
        options = self.address.options
        self.timeout = float(timeout if timeout is not None else options.get("timeout", 5.0))
        self.settle_timeout = float(settle_timeout if settle_timeout is not None else options.get("settle", 30.0))
        self.encoding = encoding or options.get("encoding", posnet.DEFAULT_ENCODING)
        try:
            self.encoding = codecs.lookup(self.encoding).name
        except LookupError:
            raise DeviceError("bad_configuration", f"The fiscal printer address names an unknown code page "
                              f"{self.encoding!r} ({url}).",
                              "Fix ?encoding= in the fiscal printer's address: cp1250 (Windows, the default), "
                              "mazovia, cp852 or iso8859_2, as set on the printer.") from None
        # above 127 the printer prints only the Polish letters of its code page (spec: "Alfanum")
        self.can_print = ascii_and(POLISH_LETTERS, self.encoding)
        self.max_amount = MAX_AMOUNT[""]
        self.model: str | None = None
        self._port: serial.SerialBase | None = None
        self._reconnect_at = 0.0
        self._reconnect_delay = RECONNECT_FIRST
        self._reader = posnet.FrameReader()
        self._tokens = itertools.cycle(range(1, 10000))
        for _ in range(random.randrange(1, 10000)):  # a restarted till must not reuse the last run's tokens
            next(self._tokens)

    # life cycle ----------------------------------------------------------------
    def _open(self) -> None:
        address = self.address
        if address.scheme == "socket":
            self._port = serial.serial_for_url(f"socket://{address.target}", timeout=0.02)
        elif address.scheme == "serial":
            self._port = serial.Serial(address.target, baudrate=int(address.options.get("baudrate", 9600)),
                                       timeout=0.02)
        else:
            raise DeviceError("bad_url", f"A POSNET printer is reached over serial or socket://, not {self.url}",
                              "Fix the fiscal printer address in the till's settings.")

    def _close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def check_configuration(self, expected_vat, max_clock_skew, now=None) -> None:
        super().check_configuration(expected_vat, max_clock_skew, now)
        self.read_model()  # the till's checks before payment need this model's largest amount

    def read_model(self) -> str:
        """The model name (``sid``); sets the largest amount this model takes."""
        name = self._command("sid").get("nm", "")
        self.max_amount = MAX_AMOUNT["HS" if " HS " in f" {name} " else ""]
        self.model = name
        return name

    def wake(self) -> None:
        self._reconnect_at = 0.0

    def probe(self) -> bool:
        self.wake()
        try:
            self._command("sprn", immediate=True, retries=0)
        except DeviceError:
            return False
        return True

    def _connect(self) -> None:
        """(Re)open the link; a printer that vanished is tried again with a growing pause, and in
        between every command fails at once (the till never waits on a dead line)."""
        if self._port is not None:
            return
        if time.monotonic() < self._reconnect_at and self.last_error is not None:
            raise DeviceError(self.last_error.code, self.last_error.message, self.last_error.action)
        try:
            self._open()
        except OSError as exc:
            self._reconnect_at = time.monotonic() + self._reconnect_delay
            self._reconnect_delay = min(self._reconnect_delay * 2, RECONNECT_MAX)
            error = DeviceError("offline", f"The fiscal printer at {self.address.target} cannot be reached: {exc}",
                                "Check that the printer is switched on and its cable is connected; the till "
                                "reconnects by itself and prints the waiting receipts.")
            self._fail(error)
            raise error from exc
        self._reconnect_delay = RECONNECT_FIRST
        if self.state is DeviceState.CLOSED:
            self.state = DeviceState.IDLE

    def _lost_link(self) -> None:
        port, self._port = self._port, None
        self._reader.clear()
        if port is not None:
            try:
                port.close()
            except OSError:
                pass  # the link is gone already

    def text(self, value: str, limit: int) -> str:
        """What the printer can print of ``value`` (see hardware.transliteration), cut to ``limit``."""
        return printable(value, self.can_print)[:limit].rstrip()

    def refusal(self, receipt: FiscalReceipt) -> DeviceError | None:
        for line in receipt.lines:
            if not self.text(line.name, NAME_LENGTH):
                return DeviceError("name_not_printable", f"The item name {line.name!r} has no character the fiscal "
                                   "printer can print.", "Rename the product in the catalogue, then sell it.")
            if max(line.unit_price, line.gross) > self.max_amount:
                return DeviceError("amount_too_large", f"{line.name}: the amount is above the fiscal printer's "
                                   f"maximum ({self.max_amount / 100:.2f}).", "Split the sale into smaller receipts.")
        if receipt.total > self.max_amount or receipt.paid > self.max_amount:
            return DeviceError("amount_too_large", f"The receipt total {receipt.total / 100:.2f} is above the fiscal "
                               f"printer's maximum ({self.max_amount / 100:.2f}).",
                               "Split the sale into smaller receipts.")
        return None

    # the interface -------------------------------------------------------------
    def last_completed(self) -> LastCompleted:
        counters = self._counters()
        return LastCompleted(str(counters["bn"]) if counters["bn"] else None,
                             details={"daily_report_next": counters["no"], "day_totals": counters["totals"]})

    def cancel(self) -> None:
        with self._lock:
            self._command("prncancel")

    def daily_report(self, date: dt.date | None = None) -> DailyReport:
        with self._lock:
            self._make_ready()
            before = self._counters()
            date = date or dt.date.today()
            self._command("dailyrep", [("da", date.isoformat())], completes=True)
            return DailyReport(before["no"], date, {k: v for k, v in before["totals"].items() if v})

    def read_clock(self) -> dt.datetime:
        text = self._command("rtcget").get("da", "")
        for separator in (";", ",", " "):
            text = text.replace(separator, "T")
        return dt.datetime.fromisoformat(text.replace(".", "-").replace("/", "-"))

    def read_vat_rates(self) -> dict[str, int | None]:
        reply = self._command("vatget")
        rates = {}
        for letter in VAT_LETTERS:
            value = reply.get("v" + letter.lower())
            if value is None:
                continue
            rate = posnet.parse_rate(value)
            if rate != "inactive":
                rates[letter] = rate
        return rates

    def status(self) -> dict:
        base = super().status()
        if self._port is None:
            return base
        try:
            mechanism = int(self._command("sprn", immediate=True).get("pr", "0"))
            state = {"mechanism": mechanism, "paper": "out" if mechanism in (4, 5) else "ok",
                     "cover": "open" if mechanism in (3, 10) else "closed"}
            if not mechanism:  # a stopped printer holds ordinary commands: ask only when it runs
                state["transaction_open"] = self._command("strns").get("to", "0") == "1"
                state["fiscal_mode"] = self._command("scomm").get("fs", "N") in ("T", "1", "Y", "t", "y")
        except DeviceError as exc:
            return {**base, "error": exc.as_dict()}
        return {**base, **state}

    # exactly-once hooks ----------------------------------------------------------
    def _checkpoint(self, receipt: FiscalReceipt) -> dict:
        if receipt.currency != "PLN":
            raise DeviceError("currency_mismatch", f"A POSNET printer records PLN, not {receipt.currency}.",
                              "Check the store's currency configuration.")
        self._make_ready()
        if self.model is None:
            self.read_model()
        refused = self.refusal(receipt)
        if refused is not None:
            raise refused
        return self._counters()

    def _print(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult:
        self._command("ftrcfg", [("sn", system_number(receipt.reference))])
        self._command("trinit", [("bm", "0")])
        try:
            for line in receipt.lines:
                params = [("na", self.text(line.name, NAME_LENGTH)), ("vt", str(VAT_LETTERS.index(line.vat))),
                          ("pr", posnet.amount(line.unit_price)), ("il", posnet.quantity(line.quantity, line.weighed)),
                          ("wa", posnet.amount(line.gross))]
                if line.weighed or line.unit:
                    params.append(("jm", self.text(line.unit or "kg", 4)))
                if line.discount:
                    params += [("rd", "1"), ("rw", posnet.amount(line.discount))]
                self._command("trline", params)
            if receipt.discount:
                # the basket's discount is the receipt's: the printer splits it over the VAT totals itself
                self._command("trdiscntbill", [("rd", "1"), ("rw", posnet.amount(receipt.discount))])
            end = [("to", posnet.amount(receipt.total))]
            if receipt.payments:
                for payment in receipt.payments:
                    params = [("ty", str(PAYMENT_TYPES[payment.method])), ("wa", posnet.amount(payment.amount)),
                              ("re", "0")]
                    if payment.name or PAYMENT_TYPES[payment.method] == 6 and payment.method != "other":
                        params.append(("na", self.text(payment.name or payment.method, 25)))
                    self._command("trpayment", params)
                if receipt.change:
                    self._command("trpayment", [("ty", "0"), ("wa", posnet.amount(receipt.change)), ("re", "1")])
                end += [("fp", posnet.amount(receipt.paid)), ("re", posnet.amount(receipt.change))]
            self._command("trend", end, completes=True)
        except DeviceError as exc:
            if not exc.ambiguous:
                if getattr(exc, "posnet_error", None) == 2805:
                    exc = self._total_mismatch(receipt, exc)
                self._cancel_quietly()
            raise exc
        try:
            number = self._command("scnt").get("bn")
        except DeviceError:
            number = None  # the receipt is printed; only the read-back failed
        number = number or str(checkpoint["bn"] + 1)
        return FiscalResult(receipt.reference, number, total=receipt.total,
                            details={"daily_report_next": checkpoint["no"],
                                     "system_number": system_number(receipt.reference)})

    def _total_mismatch(self, receipt: FiscalReceipt, refusal: DeviceError) -> DeviceError:
        """2805: the printer's total and ours differ (often by a grosz of rounding): name both figures."""
        try:
            open_totals = self._command("strns")
            printer_total = sum(int(open_totals.get("v" + k.lower()) or 0) for k in VAT_LETTERS)
        except DeviceError:
            return refusal
        difference = (printer_total - receipt.total) / 100
        error = DeviceError("total_mismatch", f"The fiscal printer's total {printer_total / 100:.2f} differs from the "
                            f"till's total {receipt.total / 100:.2f} (by {difference:+.2f}); "
                            "the receipt was not printed.", refusal.action,
                            details={"printer_total": printer_total, "till_total": receipt.total})
        error.posnet_error = 2805
        return error

    def _outcome(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        self._wait_until_idle()
        now = self._counters()
        delta = {k: now["totals"][k] - checkpoint["totals"].get(k, 0) for k in VAT_LETTERS}
        expected = {k: printed_totals(receipt).get(k, 0) for k in VAT_LETTERS}
        if now["no"] == checkpoint["no"]:
            if now["bn"] == checkpoint["bn"] and not any(delta.values()):
                self._cancel_open_transaction()
                return None
            if now["bn"] == checkpoint["bn"] + 1 and delta == expected:
                return FiscalResult(receipt.reference, str(now["bn"]), total=receipt.total, recovered=True,
                                    details={"daily_report_next": now["no"],
                                             "system_number": system_number(receipt.reference)})
        raise DeviceError("needs_manual_check",
                          f"Cannot tell whether sale {receipt.reference} was printed: the fiscal printer's counters "
                          f"moved in a way this sale does not explain (last receipt {checkpoint['bn']} → {now['bn']}, "
                          f"daily report {checkpoint['no']} → {now['no']}).",
                          "Compare the last printed receipts with this sale before selling on; call support.",
                          ambiguous=True)

    # printer state -----------------------------------------------------------------
    def _counters(self) -> dict:
        counters = self._command("scnt")
        totals = self._command("stot")
        return {"bn": int(counters.get("bn") or 0), "no": int(totals.get("no") or 0),
                "pn": int(totals.get("pn") or 0),
                "totals": {k: int(totals.get(f) or 0) for k, f in TOTAL_FIELDS.items()}}

    def _make_ready(self) -> None:
        """Before a receipt: mechanism OK, earlier commands finished, nothing left open."""
        self._wait_until_idle(ambiguous=False)
        self._cancel_open_transaction()

    def _cancel_open_transaction(self) -> None:
        if self._command("strns").get("to") == "1":
            self._command("prncancel")

    def _cancel_quietly(self) -> None:
        try:
            self._command("prncancel")
        except DeviceError:
            pass  # the next receipt cancels what is still open (_make_ready)

    def _wait_until_idle(self, ambiguous: bool = True) -> None:
        deadline = time.monotonic() + self.settle_timeout
        while True:
            try:
                mechanism = int(self._command("sprn", immediate=True).get("pr", "0"))
                if mechanism:
                    raise mechanism_error(mechanism, ambiguous=ambiguous)
                if self._command("sdev", immediate=True).get("qe", "T") in ("T", "1", "Y", "t", "y"):
                    return
                silent = None
            except DeviceError as exc:
                if exc.code not in ("no_reply", "garbled_reply"):
                    raise
                silent = exc
            if time.monotonic() > deadline:
                if silent is not None:
                    raise DeviceError(silent.code, silent.message, silent.action, ambiguous=ambiguous)
                raise DeviceError("busy", "The fiscal printer is still working through earlier commands.",
                                  "Wait until it stops printing, then retry.", ambiguous=ambiguous)
            time.sleep(0.05)

    # the wire ------------------------------------------------------------------------
    def _command(self, command: str, params=(), *, completes: bool = False, immediate: bool = False,
                 retries: int = 2) -> posnet.Frame:
        """Send one command and return its reply.  ``completes`` marks the commands
        whose effect cannot be undone (``trend``, ``dailyrep``): losing their reply
        is ambiguous.  ``immediate`` sends it in the printer's asynchronous mode."""
        with self._lock:
            self._connect()
            for attempt in range(retries + 1):
                token = f"{next(self._tokens):04d}"
                request = posnet.Frame(("!" if immediate else "") + command, list(params), token)
                try:
                    self._discard_input()
                    self._port.write(posnet.encode(request, self.encoding))
                    self._port.flush()
                    reply = self._await(command, token, completes, immediate)
                except OSError as exc:
                    # the line died (power cut, cable, USB re-plug): drop it and connect afresh; a command
                    # that may have completed is not sent again (the caller settles it with the counters)
                    self._lost_link()
                    if attempt < retries and not completes:
                        try:
                            self._connect()
                            continue
                        except DeviceError:
                            pass
                    error = DeviceError("offline", f"The fiscal printer connection failed: {exc}",
                                        "Check that the printer is switched on and its cable is connected; the till "
                                        "reconnects by itself and prints the waiting receipts.", ambiguous=completes)
                    self._fail(error)
                    raise error from exc
                if reply.command == "ERR" and reply.error == 5 and attempt < retries:
                    continue  # our frame was damaged on the line and not executed: send it again
                if self.last_error is not None and self.last_error.code in OFFLINE_CODES:
                    self._ok()  # it answers again
                if reply.error is not None:
                    raise command_error(reply.error, command, frame=reply.command == "ERR")
                return reply
            raise command_error(5, command, frame=True)

    def _await(self, command: str, token: str, completes: bool, immediate: bool) -> posnet.Frame:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            data = self._port.read(self._port.in_waiting or 1)
            if not data:
                continue
            for packet in self._reader.feed(data):
                try:
                    reply = posnet.decode(packet, self.encoding)
                except (posnet.FrameError, ValueError):
                    raise DeviceError("garbled_reply", f"The fiscal printer's answer to '{command}' was damaged.",
                                      "Check the printer cable; the till will check what the printer did.",
                                      ambiguous=completes)
                if reply.token == token or (reply.token is None and reply.command in (command, "!" + command, "ERR")):
                    return reply
                # an answer to an earlier command we stopped waiting for: not ours
        if immediate:
            raise DeviceError("no_reply", "The fiscal printer does not answer.",
                              "Check that it is switched on and the cable is connected.", ambiguous=completes)
        raise self._silence(command, completes)

    def _silence(self, command: str, completes: bool) -> DeviceError:
        """A command went unanswered: a printer out of paper or with its cover
        open holds commands without answering, so ask the mechanism why."""
        try:
            mechanism = int(self._command("sprn", immediate=True, retries=0).get("pr", "0"))
        except DeviceError:
            mechanism = 0
        if mechanism:
            return mechanism_error(mechanism, ambiguous=completes)
        return DeviceError("no_reply", f"The fiscal printer did not answer '{command}' in {self.timeout:g} s.",
                           "Check that it is switched on and the cable is connected; the till will check "
                           "what the printer did before printing again.", ambiguous=completes)

    def _discard_input(self) -> None:
        waiting = self._port.in_waiting
        if waiting:
            self._port.read(waiting)
        self._reader.clear()


def printed_totals(receipt: FiscalReceipt) -> dict[str, int]:
    """The receipt's totals per VAT letter as a POSNET printer records them: its bill discount split
    by the spec's own rule (:mod:`.totals`), not by the till's."""
    before = {}
    for line in receipt.lines:
        before[line.vat] = before.get(line.vat, 0) + line.amount
    return split_bill_discount(before, receipt.discount)
