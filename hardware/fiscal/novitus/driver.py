"""Novitus NoviAPI fiscal printers (REST over the shop LAN).

NoviAPI is itself two-phase: ``POST /api/v1/receipt`` only *stores* the whole
receipt (201, status STORED, a 32-hex id) and nothing prints until
``PUT /api/v1/receipt/{id}`` confirms it; ``GET /api/v1/receipt/{id}`` then
reports QUEUED/PENDING/DONE (with ``jpkid``, the document number in the
protected memory) or ERROR.  The sale id is sent as
``system_info.system_number`` and printed on the receipt.

How "done or not" is decided after an ambiguous failure (``_outcome``)
----------------------------------------------------------------------
The checkpoint saved in the journal before confirming is the stored request
id plus the device's receipt totals per VAT letter (``status`` → ``device``).

1. ``GET /receipt/{id}``: DONE → done (its ``jpkid``).  ERROR → not done.
   STORED → never confirmed: ``DELETE`` it so it can never print later, not
   done.  QUEUED/PENDING → wait (up to ``settle`` seconds); a device in ERROR
   (paper, cover) keeps the answer ambiguous: it prints once fixed.
2. 404 (the printer restarted and forgot its queue) → compare the day totals
   with the checkpoint: grown by exactly this receipt → done; unchanged → not
   done; anything else → ``needs_manual_check``.
"""
from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal

import requests

from hardware.device import DeviceError

from ..base import VAT_LETTERS, DailyReport, FiscalPrinter, FiscalReceipt, FiscalResult, LastCompleted

PAYMENT_KEYS = {"cash": "cash", "card": "card", "cheque": "cheque", "coupon": "coupon", "credit": "credit",
                "voucher": "voucher", "account": "account", "transfer": "transfer", "mobile": "mobile",
                "other": "other"}


def money(grosz: int) -> str:
    return f"{grosz // 100}.{grosz % 100:02d}"


def grosz(text: str) -> int:
    return int(Decimal(text or "0") * 100)


class NoviApiPrinter(FiscalPrinter):
    kind = "fiscal_printer/noviapi"

    def __init__(self, url: str, journal=None, *, timeout: float | None = None, settle_timeout: float | None = None):
        super().__init__(url, journal)
        options = self.address.options
        self.timeout = float(timeout if timeout is not None else options.get("timeout", 10.0))
        self.settle_timeout = float(settle_timeout if settle_timeout is not None else options.get("settle", 60.0))
        self.base_url = f"{self.address.scheme}://{self.address.target}".rstrip("/")
        self._session: requests.Session | None = None
        self._token: str | None = None

    def _open(self) -> None:
        self._session = requests.Session()
        self._session.headers["User-Agent"] = "NoviApi"
        self._call("GET", "/api/v1", raw=True)

    def _close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # the interface -------------------------------------------------------------
    def last_completed(self) -> LastCompleted:
        memory = self._status("protected_memory")["protected_memory"]
        return LastCompleted(memory.get("last_jpkid") or None, details={"label": memory.get("label")})

    def cancel(self) -> None:
        """Drop everything stored or queued and not yet printed."""
        self._call("DELETE", "/api/v1/queue")

    def daily_report(self, date: dt.date | None = None) -> DailyReport:
        date = date or dt.date.today()
        totals = self._day_totals()
        request = self._run("daily_report", {"daily_report": {"date": date.strftime("%d-%m-%Y")}})
        return DailyReport(request.get("jpkid"), date, {k: v for k, v in totals.items() if v})

    def read_clock(self) -> dt.datetime | None:
        return None  # NoviAPI offers no clock read-out; the printer keeps its own fiscal time

    def read_vat_rates(self) -> dict[str, int | None]:
        rates = {}
        for rate in self._status("device")["device"].get("tax_rates", []):
            value = rate.get("value", "")
            rates[rate["name"]] = None if value.upper().startswith("ZW") else int(Decimal(value) * 100)
        return rates

    def status(self) -> dict:
        base = super().status()
        if self._session is None:
            return base
        try:
            waiting = self._call("GET", "/api/v1/queue").get("requests_in_queue")
            device = self._status("device")["device"]
        except DeviceError as exc:
            return {**base, "error": exc.as_dict()}
        return {**base, "device": device.get("name"), "version": device.get("version"), "queue": waiting}

    # exactly-once hooks ------------------------------------------------------------
    def _checkpoint(self, receipt: FiscalReceipt) -> dict:
        if receipt.currency != "PLN":
            raise DeviceError("currency_mismatch", f"A NoviAPI printer records PLN, not {receipt.currency}.",
                              "Check the store's currency configuration.")
        totals = self._day_totals()
        stored = self._call("POST", "/api/v1/receipt", json=self._receipt_body(receipt))
        return {"request_id": stored["request"]["id"], "totals": totals}

    def _print(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult:
        request_id = checkpoint["request_id"]
        self._call("PUT", f"/api/v1/receipt/{request_id}", completes=True)
        answer = self._wait(f"/api/v1/receipt/{request_id}", ambiguous=True)
        request = answer["request"]
        if request["status"] == "ERROR":
            raise _refused(request.get("error", {}).get("code"))
        return FiscalResult(receipt.reference, str(request.get("jpkid")), total=receipt.total,
                            details={"request_id": request_id})

    def _outcome(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        request_id = checkpoint["request_id"]
        try:
            answer = self._wait(f"/api/v1/receipt/{request_id}", ambiguous=True)
        except DeviceError as exc:
            if exc.code != "not_found":
                raise
            return self._outcome_from_totals(receipt, checkpoint)
        request = answer["request"]
        if request["status"] == "DONE":
            return FiscalResult(receipt.reference, str(request.get("jpkid")), total=receipt.total, recovered=True,
                                details={"request_id": request_id})
        if request["status"] == "STORED":
            self._call("DELETE", f"/api/v1/receipt/{request_id}")
        return None

    def _outcome_from_totals(self, receipt: FiscalReceipt, checkpoint: dict) -> FiscalResult | None:
        now = self._day_totals()
        delta = {k: now.get(k, 0) - checkpoint["totals"].get(k, 0) for k in VAT_LETTERS}
        expected = {k: receipt.totals_by_vat.get(k, 0) for k in VAT_LETTERS}
        if not any(delta.values()):
            return None
        if delta == expected:
            number = self._status("protected_memory")["protected_memory"].get("last_jpkid")
            return FiscalResult(receipt.reference, number, total=receipt.total, recovered=True,
                                details={"request_id": checkpoint["request_id"], "by": "totals"})
        raise DeviceError("needs_manual_check",
                          f"Cannot tell whether sale {receipt.reference} was printed: the printer forgot the request "
                          "and its totals moved by a different amount.",
                          "Compare the last printed receipts with this sale before selling on; call support.",
                          ambiguous=True)

    # requests -------------------------------------------------------------------------
    def _receipt_body(self, receipt: FiscalReceipt) -> dict:
        items = []
        for line in receipt.lines:
            article = {"name": line.name[:60], "ptu": line.vat,
                       "quantity": f"{line.quantity / 1000:.3f}" if line.weighed else str(line.quantity),
                       "price": money(line.unit_price), "value": money(line.gross)}
            if line.weighed or line.unit:
                article["unit"] = (line.unit or "kg")[:4]
            if line.discount:
                article["discount_markup"] = {"type": "value_discount", "value": money(line.discount)}
            items.append({"article": article})
        body = {"items": items, "summary": {"total": money(receipt.total), "pay_in": money(receipt.paid)},
                "system_info": {"system_number": {"print_as": "text", "value": receipt.reference[:512]}}}
        if receipt.payments:
            body["payments"] = [{PAYMENT_KEYS[p.method]: {"value": money(p.amount)} |
                                 ({"name": p.name[:24]} if p.name and p.method != "cash" else {})}
                                for p in receipt.payments]
            if receipt.change:
                body["summary"]["change"] = money(receipt.change)
        else:
            body["summary"]["pay_in"] = money(receipt.total)
        if receipt.cashier:
            body["system_info"]["cashier_name"] = receipt.cashier[:32]
        return {"receipt": body}

    def _run(self, kind: str, body: dict) -> dict:
        """Store, confirm and wait for a request whose loss would be harmless to repeat."""
        stored = self._call("POST", f"/api/v1/{kind}", json=body)
        request_id = stored["request"]["id"]
        self._call("PUT", f"/api/v1/{kind}/{request_id}")
        request = self._wait(f"/api/v1/{kind}/{request_id}", ambiguous=False)["request"]
        if request["status"] == "ERROR":
            raise _refused(request.get("error", {}).get("code"))
        return request

    def _status(self, kind: str) -> dict:
        return self._run("status", {"status": {"type": kind}})["response"]["status"]

    def _day_totals(self) -> dict[str, int]:
        return {t["tax_rate"]: grosz(t.get("receipt", "0")) for t in self._status("device")["device"].get("totals", [])}

    def _wait(self, path: str, *, ambiguous: bool) -> dict:
        deadline = time.monotonic() + self.settle_timeout
        while True:
            answer = self._call("GET", path, params={"timeout": int(self.timeout * 1000 / 2)}, completes=ambiguous)
            status = answer["request"]["status"]
            if status in ("DONE", "ERROR", "STORED"):
                return answer
            device = answer.get("device", {})
            if device.get("status") == "ERROR":
                code = device.get("error", {}).get("code")
                raise DeviceError("printer_stopped", f"The fiscal printer stopped (NoviAPI device error {code}): "
                                  "paper, cover or mechanism.",
                                  "Look at the printer's display, fix it (paper, cover); the receipt prints then.",
                                  ambiguous=ambiguous)
            if time.monotonic() > deadline:
                raise DeviceError("busy", "The fiscal printer has not finished the document yet.",
                                  "Wait until it stops printing, then retry.", ambiguous=ambiguous)

    def _call(self, method: str, path: str, *, json=None, params=None, completes: bool = False, raw: bool = False,
              _retry: bool = True):
        if self._session is None:
            self.open()
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self._session.request(method, self.base_url + path, json=json, params=params,
                                             headers=headers, timeout=self.timeout)
        except requests.Timeout as exc:
            raise DeviceError("no_reply", f"The fiscal printer did not answer {method} {path} in {self.timeout:g} s.",
                              "Check that it is on and reachable; the till will check what it did before "
                              "printing again.", ambiguous=completes) from exc
        except requests.ConnectionError as exc:
            raise DeviceError("no_reply", f"The fiscal printer dropped {method} {path}: {exc.__class__.__name__}.",
                              "Check that it is on and reachable; the till will check what it did before "
                              "printing again.", ambiguous=completes) from exc
        if response.status_code == 401 and _retry and not path.endswith("/token"):
            self._token = self._call("GET", "/api/v1/token")["token"]
            return self._call(method, path, json=json, params=params, completes=completes, raw=raw, _retry=False)
        if raw:
            return response
        try:
            body = response.json() if response.content else {}
        except ValueError as exc:
            raise DeviceError("garbled_reply", f"The fiscal printer's answer to {method} {path} was damaged.",
                              "Check the network; the till will check what the printer did.",
                              ambiguous=completes) from exc
        if response.status_code < 400:
            return body
        code = (body.get("exception") or {}).get("code")
        if response.status_code == 404:
            raise DeviceError("not_found", f"The fiscal printer does not know {path}.", "Call support.")
        if response.status_code == 409:
            raise DeviceError("daily_report_required", "The fiscal printer waits for the daily (Z) report, or "
                              "still has documents queued.", "Print the daily report / wait, then retry.")
        if response.status_code == 507:
            raise DeviceError("journal_full", "The printer's protected memory is full.",
                              "Call the service technician.")
        if response.status_code == 400:
            errors = (body.get("exception") or {}).get("errors") or []
            raise DeviceError("rejected", f"The fiscal printer rejected the document: {'; '.join(errors)[:300]}",
                              "Call support: the till sent data the printer does not accept.")
        if response.status_code == 401:
            raise DeviceError("unauthorised", "The fiscal printer refused the till's token.",
                              "Check NoviAPI is enabled for this till on the printer.")
        raise DeviceError("printer_error", f"The fiscal printer answered {response.status_code} (code {code}).",
                          "Retry; call support if it repeats.", ambiguous=completes)


def _refused(code) -> DeviceError:
    return DeviceError("printer_refused", f"The fiscal printer refused the document (NoviAPI error {code}); "
                       "nothing was printed.",
                       "Check prices, VAT and payments against the printer's message; ring the sale again.")
