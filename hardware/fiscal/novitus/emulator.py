"""A Novitus NoviAPI printer in software: an HTTP server on 127.0.0.1 that checks
every request against the published OpenAPI document and answers what the
document allows (its own answers are checked too: ``response_errors``).

Flow as in the spec: ``GET /api/v1/token`` → ``POST /api/v1/receipt`` (STORED,
nothing printed yet) → ``PUT /api/v1/receipt/{id}`` (confirm: now it prints)
→ ``GET /api/v1/receipt/{id}`` (DONE with ``jpkid``).  Stored and queued
requests live in RAM (lost on restart); the fiscal memory is a JSON file.

Device error numbers are not in the published document; the ones this
emulator reports (``ERR_*`` below) are its own.

Faults fire on ``<kind>.confirm`` (e.g. ``on="receipt.confirm"``) or
``<kind>.store``; see :mod:`hardware.fiscal.emulation` for their meaning.
Steering endpoints live under ``/_emulator/`` (outside the spec).
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import socket
import threading
import time
import uuid
from decimal import ROUND_HALF_UP, Decimal

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from ..base import VAT_LETTERS
from ..emulation import DEFAULT_VAT, FaultPlan, FiscalMemory, handle_control
from . import spec as noviapi_spec

ERR_TOTAL_MISMATCH = 3001
ERR_LINE_VALUE = 3002
ERR_VAT_INACTIVE = 3003
ERR_PAYMENT = 3004
ERR_DATE = 3005
ERR_NOTHING_TO_REPORT = 3006
ERR_PAPER_OUT = 3101
ERR_COVER_OPEN = 3102
KINDS = ("receipt", "daily_report", "status")
PATH = re.compile(r"^/api/v1/(receipt|daily_report|status)(?:/([^/]+))?$")


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs):
        pass


class _DropConnection(Exception):
    """Answer nothing: the printer lost the request, or its power."""


class NoviApiEmulator:
    def __init__(self, memory_path, *, spec_path=None, late_reply_delay: float = 1.0,
                 clock_offset: dt.timedelta = dt.timedelta(0), vat_rates: dict | None = None,
                 stay_off_after_power_loss: bool = False):
        self.memory = FiscalMemory(memory_path, vat_rates or DEFAULT_VAT)
        self.stay_off_after_power_loss = stay_off_after_power_loss
        self.powered = True
        self.openapi = noviapi_spec.openapi(str(spec_path) if spec_path else None)
        self.faults = FaultPlan()
        self.late_reply_delay = late_reply_delay
        self.clock_offset = clock_offset
        self.mechanism = 0
        self.requests: dict[str, dict] = {}
        self.tokens: set[str] = set()
        self.response_errors: list[str] = []
        self.rejected: list[str] = []
        self._lock = threading.RLock()
        self._server = None
        self._thread: threading.Thread | None = None

    # serving ---------------------------------------------------------------------
    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="noviapi-emulator", daemon=True)
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def control_url(self) -> str:
        return self.url + "/_emulator"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # steering ----------------------------------------------------------------------
    def inject(self, fault: str, on: str | None = None, nth: int = 1) -> None:
        self.faults.inject(fault, on, nth)

    def fix_mechanism(self) -> None:
        with self._lock:
            self.mechanism = 0
            for request in self.requests.values():
                if request["status"] == "QUEUED":
                    self._execute(request)

    refill_paper = fix_mechanism
    close_cover = fix_mechanism

    def now(self) -> dt.datetime:
        return dt.datetime.now() + self.clock_offset

    # HTTP ------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            if not self.powered and not request.path.startswith("/_emulator/"):
                raise _DropConnection()
            response = self._handle(request)
        except _DropConnection:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            response = Response(b"", status=500)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.path.startswith("/_emulator/"):
            body = request.get_json(silent=True) or {}
            status, answer = handle_control(self, request.method, request.path, body)
            return _json(status, answer)
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        openapi_request = WerkzeugOpenAPIRequest(request)
        errors = [str(e) for e in self.openapi.iter_request_errors(openapi_request)]
        if errors:
            self.rejected.extend(errors)
            response = _refusal(errors)
        else:
            response = self._route(request)
        if not getattr(response, "damaged", False):
            problems = [str(e) for e in self.openapi.iter_response_errors(openapi_request,
                                                                          WerkzeugOpenAPIResponse(response))]
            self.response_errors.extend(f"{request.method} {request.path}: {p}" for p in problems)
        return response

    def _route(self, request: Request) -> Response:
        if request.path == "/api/v1" and request.method == "GET":
            return Response(status=200)
        if request.path == "/api/v1/token" and request.method in ("GET", "PATCH"):
            return self._token(request)
        if not self._authorised(request):
            return _json(401, {"exception": {"code": 4}})
        if request.path == "/api/v1/queue":
            with self._lock:
                waiting = [r for r in self.requests.values() if r["status"] in ("STORED", "QUEUED")]
                if request.method == "GET":
                    return _json(200, {"requests_in_queue": len(waiting)})
                for item in waiting:
                    del self.requests[item["id"]]
                return _json(200, {"status": "DELETED"})
        match = PATH.match(request.path)
        if not match:
            return _json(404, {"exception": {"code": 1}})
        kind, request_id = match.groups()
        if request_id is None and request.method == "POST":
            return self._store(kind, request.get_json())
        with self._lock:
            stored = self.requests.get(request_id)
        if stored is None or stored["kind"] != kind:
            return _json(404, {"exception": {"code": 1}})
        if request.method == "PUT":
            return self._confirm(stored)
        if request.method == "GET":
            return self._read(stored, request.args.get("timeout", type=int) or 0)
        if request.method == "DELETE":
            with self._lock:
                if stored["status"] != "STORED":
                    return _json(400, {"exception": {"code": 9}})
                del self.requests[stored["id"]]
            return _json(200, {"request": {"status": "DELETED"}})
        return _json(404, {"exception": {"code": 1}})

    def _token(self, request: Request) -> Response:
        expires = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
        header = _b64({"typ": "JWT", "alg": "HS256"})
        payload = _b64({"iss": self.memory.data["unique_number"], "sub": "NoviApi", "exp": expires,
                        "jti": uuid.uuid4().hex})
        token = f"{header}.{payload}.{_b64({'sig': uuid.uuid4().hex})}"
        with self._lock:
            self.tokens.add(token)
        return _json(200, {"token": token, "expiration_date": expires})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.tokens

    def _store(self, kind: str, body: dict) -> Response:
        fault = self.faults.take(f"{kind}.store")
        if fault == "no_reply":
            raise _DropConnection()
        with self._lock:
            if kind == "daily_report" and any(r["status"] == "QUEUED" for r in self.requests.values()):
                return _json(409, {"exception": {"code": 11}})
            request_id = uuid.uuid4().hex
            self.requests[request_id] = {"id": request_id, "kind": kind, "body": body, "status": "STORED"}
        return _json(201, {"request": {"status": "STORED", "id": request_id}})

    def _confirm(self, stored: dict) -> Response:
        fault = self.faults.take(f"{stored['kind']}.confirm")
        if fault == "no_reply":
            raise _DropConnection()
        with self._lock:
            if stored["status"] == "STORED":
                stored["status"] = "QUEUED"
                if fault in ("paper_out", "cover_open"):
                    self.mechanism = ERR_PAPER_OUT if fault == "paper_out" else ERR_COVER_OPEN
                if not self.mechanism:
                    self._execute(stored)
        if fault == "power_loss":
            self.powered = not self.stay_off_after_power_loss
            with self._lock:
                for request in list(self.requests.values()):
                    if request["status"] in ("STORED", "QUEUED"):
                        del self.requests[request["id"]]
            raise _DropConnection()
        if fault == "late_reply":
            time.sleep(self.late_reply_delay)
        response = _json(200, {"request": {"status": "CONFIRMED", "id": stored["id"]}})
        if fault == "bad_crc":
            response.set_data(response.get_data()[:-7])  # a damaged answer: cut JSON
            response.damaged = True
        return response

    def _read(self, stored: dict, timeout_ms: int) -> Response:
        deadline = time.monotonic() + timeout_ms / 1000
        while stored["status"] == "QUEUED" and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            device = {"status": "ERROR", "error": {"code": self.mechanism}} if self.mechanism else {"status": "OK"}
            request = {"status": stored["status"]}
            if stored["kind"] != "daily_report":  # its GET schema has no id
                request["id"] = stored["id"]
            if stored.get("jpkid") is not None and stored["kind"] in ("receipt", "daily_report"):
                request["jpkid"] = stored["jpkid"]
            if stored.get("error") is not None:
                request["error"] = {"code": stored["error"]}
            if stored.get("response") is not None:
                request["response"] = stored["response"]
        return _json(200, {"device": device, "request": request})

    # the printer ---------------------------------------------------------------------
    def _execute(self, stored: dict) -> None:
        stored["status"] = "PENDING"
        try:
            handler = {"receipt": self._print_receipt, "daily_report": self._daily_report,
                       "status": self._status}[stored["kind"]]
            handler(stored)
        except _Refusal as refusal:
            stored["status"] = "ERROR"
            stored["error"] = refusal.code
            return
        stored["status"] = "DONE"

    def _print_receipt(self, stored: dict) -> None:
        receipt = stored["body"]["receipt"]
        rates = self.memory.data["vat_rates"]
        totals: dict[str, int] = {}
        lines = []
        for item in receipt["items"]:
            article = item.get("article")
            if article is None:
                raise _Refusal(ERR_LINE_VALUE)  # advances and containers are not emulated
            if rates.get(article["ptu"], "inactive") == "inactive":
                raise _Refusal(ERR_VAT_INACTIVE)
            value = _grosz(article["value"])
            computed = int((Decimal(article["price"] or "0") * Decimal(article["quantity"] or "0") * 100)
                           .quantize(Decimal(1), rounding=ROUND_HALF_UP))
            if computed != value or value <= 0:
                raise _Refusal(ERR_LINE_VALUE)
            amount = value - _discount(article.get("discount_markup"), value)
            if amount <= 0:
                raise _Refusal(ERR_LINE_VALUE)
            totals[article["ptu"]] = totals.get(article["ptu"], 0) + amount
            lines.append({"name": article["name"], "vat": article["ptu"], "amount": amount})
        total = sum(totals.values())
        if _grosz(receipt["summary"]["total"]) != total:
            raise _Refusal(ERR_TOTAL_MISMATCH)
        paid = sum(_grosz(next(iter(p.values()))["value"]) for p in receipt.get("payments", []))
        pay_in = _grosz(receipt["summary"]["pay_in"])
        change = _grosz(receipt["summary"].get("change") or "0")
        if receipt.get("payments") and (paid != pay_in or pay_in - change != total):
            raise _Refusal(ERR_PAYMENT)
        system_number = (receipt.get("system_info") or {}).get("system_number", {}).get("value")
        payments = [{"type": next(iter(p)), "amount": _grosz(next(iter(p.values()))["value"])}
                    for p in receipt.get("payments", [])]
        stored["jpkid"] = self.memory.record_receipt(system_number, totals, total, lines, payments, self.now())

    def _daily_report(self, stored: dict) -> None:
        day, month, year = re.split(r"[:/\-.]", stored["body"]["daily_report"]["date"])
        today = self.now().date()
        if dt.date(int(year), int(month), int(day)) != today:
            raise _Refusal(ERR_DATE)
        if not any(self.memory.day_totals.values()) and self.memory.reports_done_on(today):
            raise _Refusal(ERR_NOTHING_TO_REPORT)
        stored["jpkid"] = self.memory.record_daily_report(today)["number"]

    def _status(self, stored: dict) -> None:
        kind = stored["body"]["status"]["type"]
        data = self.memory.data
        if kind == "device":
            rates = [{"name": k, "value": "ZW" if v is None else f"{v // 100}.{v % 100:02d}"}
                     for k, v in data["vat_rates"].items() if v != "inactive"]
            totals = [{"tax_rate": k, "receipt": _money(data["day_totals"].get(k, 0)), "invoice": "0.00"}
                      for k in VAT_LETTERS if data["vat_rates"].get(k, "inactive") != "inactive"]
            answer = {"device": {"name": "POINT", "version": "1.01", "characters_per_line": 64,
                                 "tax_rates": rates, "totals": totals}}
        elif kind == "fiscal_memory":
            last = data["daily_reports"][-1]["date"] + " 00:00:00" if data["daily_reports"] else ""
            answer = {"fiscal_memory": {"unique_number": (data["unique_number"] + "00")[:13], "tax_id": "5220001694",
                                        "size": 130023424, "max_daily_reports": 2195,
                                        "daily_reports_count": len(data["daily_reports"]),
                                        "last_daily_report_date": last, "start_fiscal_date": "2024-01-02 08:00:00"}}
        else:
            answer = {"protected_memory": {"number": 1, "label": data["unique_number"] + ".0001",
                                           "last_jpkid": str(data["receipt_counter"]), "size": 1024, "free": 1000}}
        stored["response"] = {"status": answer}


class _Refusal(Exception):
    def __init__(self, code: int):
        self.code = code


def _refusal(errors: list[str]) -> Response:
    text = " ".join(errors)
    if "Security" in text or "Authorization" in text:
        return _json(401, {"exception": {"code": 4}})
    if "Path not found" in text or "Operation not found" in text or "Invalid path parameter" in text:
        return _json(404, {"exception": {"code": 1}})
    return _json(400, {"exception": {"code": 7, "errors": [e[:500] for e in errors[:10]]}})


def _json(status: int, body: dict) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _grosz(text: str) -> int:
    return int((Decimal(text or "0") * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _money(grosz: int) -> str:
    return f"{grosz // 100}.{grosz % 100:02d}"


def _discount(rule: dict | None, value: int) -> int:
    if not rule:
        return 0
    amount = _grosz(rule["value"])
    if rule["type"].startswith("percent"):
        amount = (value * amount + 5000) // 10000
    return amount if rule["type"].endswith("discount") else -amount


def start_noviapi_emulator(memory_path, **options) -> tuple[str, NoviApiEmulator]:
    emulator = NoviApiEmulator(memory_path, **options)
    return emulator.start(), emulator
