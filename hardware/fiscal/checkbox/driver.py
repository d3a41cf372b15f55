"""Checkbox, the Ukrainian cloud PRRO (software cash register), as a fiscal device.

Address: ``checkbox+https://api.checkbox.ua?license=env:CHECKBOX_LICENSE_KEY&pin=env:CHECKBOX_CASHIER_PIN``
(``checkbox+http://`` for a local emulator).  Secrets are never written in the address itself: each of
``license``, ``pin``, ``login``, ``password`` is ``env:NAME`` (read from the environment) or left out, then
``CHECKBOX_LICENSE_KEY``, ``CHECKBOX_CASHIER_PIN`` (or ``CHECKBOX_CASHIER_LOGIN`` + ``CHECKBOX_CASHIER_PASSWORD``)
are read.  Other options: ``device`` (the X-Device-ID, default derived from the host and licence),
``state`` (the offline book's JSON file), ``timeout`` (seconds per request), ``settle`` (seconds to wait
for a receipt or shift to be done), ``retry`` (seconds between attempts to reach Checkbox while offline),
``codes`` (how many offline codes to keep reserved), ``warn`` (hours before an offline limit to warn).

Money goes in kopiykas, quantities ×1000 (a piece is 1000, a weighed line's grams are already ×1000 of
a kilogram), payments CASH or CASHLESS.

Exactly once
------------
The receipt's own id is a UUID derived from the sale reference (the sale id itself when it is a UUID)
and Checkbox refuses a second receipt with an id it has, so a retry can never fiscalise twice.  After
an ambiguous failure (the request went out, no answer came) ``_outcome`` asks ``GET /receipts/{id}``:
DONE → done; unknown → not done, send again.

Offline
-------
When Checkbox cannot be reached (nothing was sent) or answers that the tax service is unreachable, the
till goes offline: the session starts in the :class:`~.offline.OfflineBook`, taking a reserved code for the
go-offline document, and each receipt takes the next reserved code and is printed at once.  When Checkbox
answers again the till sends ``go-offline`` (with the session's start and code), then each offline receipt
with ``sell-offline`` — asking ``GET /receipts/{id}`` first, so a receipt Checkbox already has is never
sent twice — then ``go-online`` once the tax service answers ``ping-tax-service``, and tops up the codes.
A sale whose online attempt was left unknown and that then went offline keeps one fiscal record: if
Checkbox turns out to have the online one, the offline copy is never sent (``superseded_by``).

The law's limits (36 h per session, 168 h per calendar month) are enforced before a code is used.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
import uuid
from urllib.parse import urlsplit

from hardware.device import DeviceError

from ..base import DailyReport, FiscalPrinter, FiscalReceipt, FiscalResult, LastCompleted
from .client import CheckboxClient, Unreachable, redact, secrets_of
from .offline import OfflineBook, utc_now

log = logging.getLogger("hardware.fiscal.checkbox")

TAX_CHECK_URL = "https://cabinet.tax.gov.ua/cashregs/check"
# Checkbox names its tax groups with Cyrillic letters; the store's VAT letters are their Latin twins
TAX_LETTERS = {"А": "A", "Б": "B", "В": "C", "Г": "D", "Д": "E", "Е": "F", "Є": "G"}


class TaxServiceDown(DeviceError):
    def __init__(self, message: str):
        super().__init__("tax_service_unreachable", message,
                         "Nothing to do: the till works offline and sends the receipts when the tax service is back.")


def receipt_uuid(reference: str) -> str:
    try:
        return str(uuid.UUID(reference))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sale:{reference}"))


def check_url(fiscal_number: str, fiscal_code: str, fiscal_date: str, total: int) -> str:
    """The tax service's check link, printed as the receipt's QR code."""
    moment = dt.datetime.fromisoformat(fiscal_date)
    return (f"{TAX_CHECK_URL}?fn={fiscal_number}&id={fiscal_code}&sm={total / 100:.2f}"
            f"&date={moment:%Y%m%d}&time={moment:%H:%M:%S}")


class CheckboxPrinter(FiscalPrinter):
    kind = "fiscal_printer/checkbox"
    records_returns = True

    def __init__(self, url: str, journal=None, *, clock=None, book: OfflineBook | None = None):
        self._secrets = secrets_of(url)
        super().__init__(redact(url), journal)
        options = self.address.options
        parts = urlsplit(url)
        self.retry_every = float(options.get("retry", 30.0))
        self.codes_wanted = int(options.get("codes", 150))
        self.clock = clock or utc_now
        self.book = book or OfflineBook(options.get("state"),
                                        warn_before=dt.timedelta(hours=float(options.get("warn", 6))))
        licence = self._secrets["license"] or ""
        self.device_id = options.get("device") or str(uuid.uuid5(
            uuid.NAMESPACE_URL, f"{parts.netloc}/{hashlib.sha256(licence.encode()).hexdigest()[:16]}"))
        self.api = CheckboxClient(f"{parts.scheme.split('+', 1)[1]}://{parts.netloc}{parts.path}".rstrip("/"),
                                  self._secrets, self.device_id, timeout=float(options.get("timeout", 10.0)),
                                  settle_timeout=float(options.get("settle", 15.0)))
        self._next_try = 0.0

    # life cycle ----------------------------------------------------------------------------------------------
    def _open(self) -> None:
        if not self._secrets["license"]:
            raise DeviceError("not_configured", "The Checkbox licence key is not set.",
                              "Set CHECKBOX_LICENSE_KEY (or license=env:NAME in the device address).")
        if not (self._secrets["pin"] or (self._secrets["login"] and self._secrets["password"])):
            raise DeviceError("not_configured", "The Checkbox cashier's PIN (or login and password) is not set.",
                              "Set CHECKBOX_CASHIER_PIN, or CHECKBOX_CASHIER_LOGIN and CHECKBOX_CASHIER_PASSWORD.")
        try:
            self._connect()
        except Unreachable:
            if not self.book.cache.get("fiscal_number") or not self.book.codes_left:
                raise
            # Checkbox is away but the till knows its register and holds codes: it may sell offline

    def _close(self) -> None:
        self.api.close()

    def _connect(self) -> None:
        """Sign in, learn the register and its taxes, make sure a shift is open, keep codes in stock,
        and send what was sold offline."""
        self.api.sign_in()
        info = self.api.call("GET", "/cash-registers/info")
        taxes = {TAX_LETTERS.get(t["symbol"], t["symbol"]): {"code": t["code"], "rate": t["rate"]}
                 for t in self.api.call("GET", "/tax")}
        self.book.remember(fiscal_number=info["fiscal_number"], taxes=taxes)
        if info.get("offline_mode") and not self.book.offline:
            # Checkbox still holds an offline chain this till does not know (another till, a lost state)
            self.api.call("POST", "/cash-registers/go-online")
        try:
            self._sync()
        except Unreachable:
            raise
        except DeviceError:
            pass  # a refused offline receipt stays in the book (the device status counts it); selling goes on
        if not self.book.offline:
            for step in (self._ensure_shift, self._top_up_codes, self._learn_offline_time):
                try:
                    step()
                except Unreachable:
                    raise
                except DeviceError:
                    pass  # e.g. the tax service is away: the first sale goes offline, which needs none of these

    # the interface -------------------------------------------------------------------------------------------
    def last_completed(self) -> LastCompleted:
        info = self.api.call("GET", "/cash-registers/info")
        return LastCompleted(str(info["documents_state"]["last_receipt_code"]))

    def cancel(self) -> None:
        pass  # a Checkbox receipt is one request: there is never a half-open document to cancel

    def read_clock(self) -> dt.datetime | None:
        return None  # the cloud's clock is the tax service's, not the till's to check

    def read_vat_rates(self) -> dict[str, int | None]:
        return {letter: tax["rate"] * 100 for letter, tax in (self.book.cache.get("taxes") or {}).items()}

    def offline_allowance(self) -> dict:
        return self.book.allowance(self.clock()).as_dict()

    def status(self) -> dict:
        return {**super().status(), "offline": self.offline_allowance()}

    def daily_report(self, date: dt.date | None = None) -> DailyReport:
        """Close the shift with a Z report (Checkbox must be online and have every offline receipt)."""
        with self._lock:
            self._require_open()
            self._sync(force=True)
            if self.book.offline:
                raise DeviceError("offline_z_refused",
                                  "The Z report needs Checkbox online with every offline receipt sent.",
                                  "Restore the internet connection, then run the day report again.")
            shift = self.api.call("POST", "/shifts/close", json={}, completes=True)
            shift = self.api.wait(f"/shifts/{shift['id']}", ("CLOSED",), ambiguous=False)
            self.book.remember(shift_id=None)
            report = shift.get("z_report") or {}
            totals = {TAX_LETTERS.get(t["symbol"], t["symbol"]): int(t["sell_sum"]) - int(t["return_sum"])
                      for t in report.get("taxes", [])}
            self._ok()
            return DailyReport(report.get("serial"), date or self.clock().date(),
                               {k: v for k, v in totals.items() if v})

    def sync_offline(self) -> dict:
        """Send what was sold offline and go back online if Checkbox and the tax service answer."""
        with self._lock:
            self._require_open()
            try:
                self._sync(force=True)
            except Unreachable:
                pass
            return self.offline_allowance()

    def probe(self) -> bool:
        return self.api.answers()

    def upkeep(self) -> dict:
        """The till's timer: when Checkbox (and the tax service) answer again, send the offline chain and go
        online — each receipt once, Checkbox asked first — with nobody pressing anything; while online, keep
        the stock of reserved offline codes full, so the next outage finds codes ahead of time.  Checkbox being
        away or refusing is only noted (the next turn tries again); the offline allowance after the turn."""
        if (self._has_chain() or self.book.codes_left < self.codes_wanted) and not self.probe():
            return self.offline_allowance()  # still away: asked without the lock, so no sale waits on it
        with self._lock:
            try:
                self._require_open()
                back_online = self.book.offline
                if self._has_chain():
                    self._sync(force=True)
                if self.book.offline:
                    return self.offline_allowance()  # the tax service is still away: the next turn tries again
                topping_up = self.book.codes_left < self.codes_wanted
                if topping_up:
                    self._top_up_codes()
                if back_online or topping_up:
                    # the month's hours are the register's: Checkbox may count other devices' sessions too
                    self._learn_offline_time()
            except DeviceError as error:
                log.info("Checkbox upkeep of %s waits for its next turn: %s", self.url, error.message)
            return self.offline_allowance()

    def _has_chain(self) -> bool:
        return bool(self.book.offline or self.book.waiting() or self.book.unreported_sessions()
                    or self.book.unreported_shifts())

    # exactly-once hooks --------------------------------------------------------------------------------------
    def _checkpoint(self, receipt: FiscalReceipt) -> dict:
        if receipt.currency != "UAH":
            raise DeviceError("currency_mismatch", f"Checkbox records UAH, not {receipt.currency}.",
                              "Check the store's currency configuration.")
        return {"receipt_id": receipt_uuid(receipt.reference)}

    def _print(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult:
        receipt_id = checkpoint["receipt_id"]
        try:
            self._sync()
        except DeviceError:
            pass  # the offline chain waits for the next chance; this sale must not
        if self.book.offline:
            return self._sell_offline(receipt, receipt_id)
        try:
            return self._sell_online(receipt, receipt_id)
        except Unreachable as exc:
            if exc.ambiguous:
                raise  # the receipt may have gone through: _outcome asks first
            return self._go_offline_and_sell(receipt, receipt_id, "checkbox_unreachable")
        except TaxServiceDown:
            return self._go_offline_and_sell(receipt, receipt_id, "tax_service_unreachable")

    def _outcome(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        receipt_id = checkpoint["receipt_id"]
        offline = self.book.receipt(receipt_id)
        if offline is not None:
            return self._offline_result(receipt, offline, recovered=True)
        try:
            found = self.api.wait(f"/receipts/{receipt_id}", ("DONE", "ERROR", "CANCELLED"), ambiguous=True)
        except Unreachable:
            # Checkbox is gone: fiscalise offline under the same id; the upload asks Checkbox first and keeps
            # its online receipt if the lost request did go through
            return self._go_offline_and_sell(receipt, receipt_id, "checkbox_unreachable")
        except DeviceError as exc:
            if exc.code == "not_found":
                return None
            raise
        if found["status"] != "DONE":
            return None
        return self._result(receipt, found, recovered=True)

    # selling -------------------------------------------------------------------------------------------------
    def _sell_online(self, receipt: FiscalReceipt, receipt_id: str) -> FiscalResult:
        try:
            self._ensure_shift()
            answer = self.api.call("POST", "/receipts/sell", json=self._body(receipt, receipt_id), completes=True)
        except DeviceError as exc:
            if exc.code == "checkbox_refused" and not self._tax_service_answers():
                raise TaxServiceDown(exc.message) from exc
            raise
        if answer["status"] != "DONE":
            answer = self.api.wait(f"/receipts/{receipt_id}", ("DONE", "ERROR", "CANCELLED"), ambiguous=True)
        if answer["status"] != "DONE":
            raise DeviceError("checkbox_refused", f"Checkbox did not fiscalise the receipt ({answer['status']}).",
                              "Check the sale's prices and VAT groups; ring the sale again.")
        try:
            self._top_up_codes(only_if_low=True)
        except DeviceError:
            pass  # the receipt is done; codes are topped up at the next chance
        return self._result(receipt, answer)

    def _go_offline_and_sell(self, receipt: FiscalReceipt, receipt_id: str, reason: str) -> FiscalResult:
        now = self.clock()
        allowance = self.book.allowance(now)
        if allowance.limit == "month":
            raise self._limit_error(allowance.as_dict())
        try:
            self.book.start_session(now, reason, open_shift=not self.book.cache.get("shift_id"))
        except LookupError:
            raise _no_codes() from None
        if reason == "checkbox_unreachable":
            self._next_try = time.monotonic() + self.retry_every
        return self._sell_offline(receipt, receipt_id)

    def _sell_offline(self, receipt: FiscalReceipt, receipt_id: str) -> FiscalResult:
        now = self.clock()
        allowance = self.book.allowance(now)
        if allowance.state == "refused":
            raise self._limit_error(allowance.as_dict())
        try:
            entry = self.book.add_receipt(receipt_id, receipt.reference, self._body(receipt, receipt_id), now)
        except LookupError:
            raise _no_codes() from None
        try:
            self._sync()  # Checkbox may be there (only the tax service is not): hand it the receipt now
        except DeviceError:
            pass  # printed and kept in the book: it goes with the next chance
        return self._offline_result(receipt, entry)

    def _offline_result(self, receipt: FiscalReceipt, entry: dict, *, recovered: bool = False) -> FiscalResult:
        url = check_url(self.book.cache.get("fiscal_number") or "", entry["fiscal_code"], entry["fiscal_date"],
                        receipt.total)
        return FiscalResult(receipt.reference, entry["fiscal_code"], total=receipt.total, recovered=recovered,
                            details={"receipt_id": entry["id"], "offline": True, "check_url": url,
                                     "fiscal_date": entry["fiscal_date"]})

    def _result(self, receipt: FiscalReceipt, answer: dict, *, recovered: bool = False) -> FiscalResult:
        url = answer.get("tax_url") or check_url(self.book.cache.get("fiscal_number", ""), answer["fiscal_code"],
                                                 answer.get("fiscal_date") or answer["created_at"],
                                                 answer["total_sum"])
        return FiscalResult(receipt.reference, answer["fiscal_code"], total=answer["total_sum"], recovered=recovered,
                            details={"receipt_id": answer["id"], "check_url": url,
                                     "offline": bool(answer.get("is_created_offline"))})

    def _body(self, receipt: FiscalReceipt, receipt_id: str) -> dict:
        taxes = self.book.cache.get("taxes") or {}
        goods = []
        for position, line in enumerate(receipt.lines, 1):
            if line.vat not in taxes:
                raise DeviceError("vat_mismatch", f"Checkbox has no tax group for VAT letter {line.vat}.",
                                  "Set up the tax groups in Checkbox to match the store's VAT letters.")
            good = {"code": (line.code or str(position))[:256], "name": line.name, "price": line.unit_price,
                    "tax": [taxes[line.vat]["code"]]}
            item = {"good": good, "quantity": line.quantity if line.weighed else line.quantity * 1000}
            if line.discount:
                item["discounts"] = [{"type": "DISCOUNT", "mode": "VALUE", "value": line.discount}]
            if receipt.is_return:
                item["is_return"] = True
            goods.append(item)
        payments = [{"type": "CASH", "value": p.amount, "label": "Готівка"} if p.method == "cash" else
                    {"type": "CASHLESS", "value": p.amount, "label": (p.name or "Картка")[:128]}
                    for p in receipt.payments] or [{"type": "CASHLESS", "value": receipt.total, "label": "Картка"}]
        body = {"id": receipt_id, "goods": goods, "payments": payments,
                "rounding": any(p["type"] == "CASH" for p in payments)}
        if receipt.cashier:
            body["cashier_name"] = receipt.cashier
        if receipt.is_return and receipt.related_reference:
            body["related_receipt_id"] = receipt_uuid(receipt.related_reference)
        return body

    # offline chain -------------------------------------------------------------------------------------------
    def _sync(self, *, force: bool = False) -> None:
        """Send the offline chain in order; go online when it is all there and the tax service answers."""
        if not self._has_chain():
            return
        if not force and time.monotonic() < self._next_try:
            return  # Checkbox was away a moment ago: the sale must not wait for its timeout again
        try:
            self._send_chain()
        except Unreachable:
            self._next_try = time.monotonic() + self.retry_every
            raise

    def _send_chain(self) -> None:
        if self.api.token is None:
            self.api.sign_in()
        for session in self.book.unreported_sessions():
            self.api.call("POST", "/cash-registers/go-offline",
                           json={"go_offline_date": session["start"], "fiscal_code": session["code"]})
            self.book.mark_reported(session)
        for session in self.book.unreported_shifts():
            shift = session["shift"]
            try:
                self.api.call("POST", "/shifts", json={"id": shift["id"], "fiscal_code": shift["code"],
                                                        "fiscal_date": shift["date"]}, completes=True)
            except Unreachable:
                raise
            except DeviceError:
                self.api.call("GET", f"/shifts/{shift['id']}")  # refused because an earlier try got there?
            self.book.mark_reported(session, "shift")
            self.book.remember(shift_id=shift["id"])
        for entry in self.book.waiting():
            try:
                found = self.api.call("GET", f"/receipts/{entry['id']}")
            except DeviceError as exc:
                if exc.code != "not_found":
                    raise
                found = None
            if found is None:
                self.api.call("POST", "/receipts/sell-offline", json=entry["body"], completes=True)
                self.book.mark_uploaded(entry["id"])
            else:
                online = found.get("fiscal_code") != entry["fiscal_code"]
                self.book.mark_uploaded(entry["id"], superseded_by=found.get("fiscal_code") if online else None)
        if self.book.offline and self._tax_service_answers():
            self.api.call("POST", "/cash-registers/go-online", completes=True)
            self.book.end_session(self.clock())
            try:
                self._top_up_codes()
            except DeviceError:
                pass  # online again; codes are topped up at the next chance

    def _learn_offline_time(self) -> None:
        """The law counts a register's offline hours, whichever device spent them: ask Checkbox's count."""
        now = self.clock()
        since = self.book.month_start(now).isoformat()
        answer = self.api.call("GET", "/cash-registers/get-offline-time",
                               params={"from_date": since, "to_date": now.isoformat()})
        self.book.remember_server_month(now, (answer.get("status") or {}).get("total", 0))

    def _tax_service_answers(self) -> bool:
        answer = self.api.call("POST", "/cash-registers/ping-tax-service")
        return isinstance(answer, dict) and answer.get("status") == "DONE"

    def _top_up_codes(self, *, only_if_low: bool = False) -> None:
        if only_if_low and self.book.codes_left >= self.codes_wanted // 3:
            return
        self.api.call("GET", "/cash-registers/ask-offline-codes",
                       params={"count": self.codes_wanted, "sync": "true"})
        codes = self.api.call("GET", "/cash-registers/get-offline-codes",
                               params={"count": self.codes_wanted})
        self.book.add_codes([c["fiscal_code"] for c in codes])

    # shifts --------------------------------------------------------------------------------------------------
    def _ensure_shift(self) -> None:
        found = self.api.call("GET", "/shifts", params={"statuses": ["CREATED", "OPENING", "OPENED"], "desc": "true",
                                                         "limit": 1})["results"]
        if found:
            shift = found[0]
        else:
            shift_id = str(uuid.uuid4())
            try:
                self.api.call("POST", "/shifts", json={"id": shift_id}, completes=True)
            except Unreachable as exc:
                if exc.sent:
                    raise DeviceError("shift_not_open", "Checkbox did not confirm opening the shift.",
                                      "Retry: the till asks Checkbox what it has first.", ambiguous=True) from exc
                raise
            shift = {"id": shift_id, "status": "CREATED"}
        if shift["status"] != "OPENED":
            shift = self.api.wait(f"/shifts/{shift['id']}", ("OPENED", "CLOSED"), ambiguous=False)
            if shift["status"] != "OPENED":
                raise DeviceError("shift_not_open", "Checkbox refused to open the shift.",
                                  "Check the cashier's signature key in Checkbox, then retry.")
        self.book.remember(shift_id=shift["id"])

    def _limit_error(self, allowance: dict) -> DeviceError:
        which = "36 hours in one offline session" if allowance["limit"] == "session" else \
            "168 offline hours this calendar month"
        error = DeviceError("offline_limit_reached", f"The PRRO has used the law's limit of {which}: "
                            "no fiscal sale until Checkbox is back online.",
                            "Restore the internet connection (or call Checkbox support); sell again once "
                            "the till is online.")
        return error


def _no_codes() -> DeviceError:
    return DeviceError("offline_codes_exhausted", "No reserved offline fiscal code is left for this till.",
                       "Restore the internet connection: the till reserves new codes as soon as it is online.")
