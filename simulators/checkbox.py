"""Checkbox (the Ukrainian cloud PRRO) in software: an HTTP server on 127.0.0.1 that checks every request
against the published OpenAPI document (fixed in memory, see :mod:`simulators.checkbox_spec`) and answers
what the document allows; its own answers are checked too (``response_errors``).

What it keeps: cashiers and their tokens, one cash register (its licence key, fiscal number, online or
offline mode), shifts with their Z reports, receipts by id (an id is taken once: a second sell with the
same id is refused, as Checkbox blocks duplicates), the tax service's own record (``tax_service``: what
reached it, in order) and the offline fiscal codes the tax service reserved for the register.

Steering (tests and the demo):

* :meth:`go_down` / :meth:`come_back` — Checkbox unreachable: every connection is dropped unanswered;
* :meth:`tax_service_down` / :meth:`tax_service_up` — Checkbox answers, the tax service does not: online
  receipts and shifts are refused, ``ping-tax-service`` says ERROR, ``go-online`` cannot finish;
* :meth:`slow` — the next answers come only after some seconds (the work is done first);
* :meth:`fail` — the next matching requests answer an HTTP error without doing anything;
* :meth:`lose_answer` — the next matching request is done, then its answer is lost (connection dropped).

The document lists only 2xx and 422 answers; the service's business refusals (a duplicate receipt id, no
open shift) are answered 400 with the document's ``HTTPError`` body, like the real service.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from . import checkbox_spec

TAX_CHECK_URL = "https://cabinet.tax.gov.ua/cashregs/check"
TAXES = (  # code, symbol, rate %, label
    (1, "А", 20, "ПДВ 20%"), (2, "Б", 7, "ПДВ 7%"), (3, "В", 0, "ПДВ 0%"))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat()


class _Drop(Exception):
    """Answer nothing: the connection is cut."""


class _Quiet(WSGIRequestHandler):
    def log(self, *args, **kwargs):
        pass


@dataclass
class _Fault:
    kind: str  # fail | slow | lose
    on: str | None
    status: int = 500
    seconds: float = 0.0
    after: int = 0  # matching requests let through before this fault strikes (a fault mid-chain)


class CheckboxEmulator:
    def __init__(self, *, spec_path=None, license_key: str = "test-licence-key", cashier_login: str = "cashier",
                 cashier_password: str = "secret", pin_code: str = "1111", fiscal_number: str = "4000123456",
                 clock=None, codes_reserved: int = 0, validate: bool = True, memory=None):
        # validate=False only for the demo on a machine without the published document (tests always validate)
        self.openapi = checkbox_spec.openapi(str(spec_path) if spec_path else None) if validate else None
        self.memory = Path(memory) if memory else None
        self.license_key = license_key
        self.credentials = {cashier_login: cashier_password}
        self.pin_code = pin_code
        self.clock = clock or utc_now
        self.register = {"id": str(uuid.uuid4()), "fiscal_number": fiscal_number, "created_at": iso(self.clock()),
                         "offline": False, "offline_code": None, "offline_since": None}
        self.cashier = {"id": str(uuid.uuid4()), "full_name": "Тестовий Касир", "nin": "1234567890",
                        "key_id": "key-1", "signature_type": "AGENT", "created_at": iso(self.clock())}
        self.tokens: set[str] = set()
        self.shifts: dict[str, dict] = {}
        self.receipts: dict[str, dict] = {}
        self.tax_service: list[dict] = []  # what the tax service received, in order
        self.offline_sessions: list[dict] = []
        self.offline_codes: list[str] = []  # reserved by the tax service, not yet used by a received receipt
        self._next_code = 1
        self._fiscal_serial = 0
        self.reachable = True
        self.tax_online = True
        self.requests_seen: list[str] = []
        self.device_ids: set[str] = set()
        self.rejected: list[str] = []
        self.response_errors: list[str] = []
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._server = None
        if codes_reserved:
            self._reserve(codes_reserved)
        if self.memory is not None and self.memory.exists():
            self._restore(json.loads(self.memory.read_text("utf-8")))

    # memory (the demo keeps its register, shifts and receipts across restarts, as the cloud does) -------
    _KEPT = ("register", "cashier", "shifts", "receipts", "tax_service", "offline_sessions", "offline_codes",
             "_next_code", "_fiscal_serial")

    def _restore(self, kept: dict) -> None:
        for name in self._KEPT:
            if name in kept:
                setattr(self, name, kept[name])

    def _remember(self) -> None:
        if self.memory is None:
            return
        with self._lock:
            self.memory.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.memory.with_suffix(".tmp")
            tmp.write_text(json.dumps({name: getattr(self, name) for name in self._KEPT}, ensure_ascii=False),
                           "utf-8")
            os.replace(tmp, self.memory)

    # serving ------------------------------------------------------------------------------------------
    def start(self) -> str:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_Quiet)
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                         name="checkbox-emulator", daemon=True).start()
        return self.url

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # steering -------------------------------------------------------------------------------------------
    def go_down(self) -> None:
        self.reachable = False

    def come_back(self) -> None:
        self.reachable = True

    def tax_service_down(self) -> None:
        self.tax_online = False

    def tax_service_up(self) -> None:
        self.tax_online = True

    def fail(self, on: str | None = None, status: int = 500, times: int = 1, after: int = 0) -> None:
        """``on``: an operation name such as ``receipts/sell`` (the path after /api/v1/); None: any.
        ``after``: let that many matching requests through first."""
        with self._lock:
            self._faults.extend(_Fault("fail", on, status=status, after=after if i == 0 else 0)
                                for i in range(times))

    def slow(self, seconds: float, on: str | None = None, times: int = 1) -> None:
        with self._lock:
            self._faults.extend(_Fault("slow", on, seconds=seconds) for _ in range(times))

    def lose_answer(self, on: str | None = None, times: int = 1, after: int = 0) -> None:
        with self._lock:
            self._faults.extend(_Fault("lose", on, after=after if i == 0 else 0) for i in range(times))

    def _take_fault(self, operation: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.on is None or fault.on == operation:
                    if fault.after:
                        fault.after -= 1
                        return None
                    self._faults.remove(fault)
                    return fault
        return None

    # what tests read -------------------------------------------------------------------------------------
    def fiscal_receipts(self) -> list[dict]:
        """Receipts the tax service holds (online ones, and offline ones once sent), in order received."""
        return [self.receipts[item["receipt_id"]] for item in self.tax_service if item["kind"] == "receipt"]

    # HTTP -----------------------------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        try:
            if not self.reachable:
                raise _Drop()
            response = self._handle(request)
        except _Drop:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            response = Response(b"", status=500)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse

        operation = request.path.removeprefix("/api/v1/")
        self.requests_seen.append(f"{request.method} {operation}")
        if request.headers.get("X-Device-ID"):
            self.device_ids.add(request.headers["X-Device-ID"])
        openapi_request = WerkzeugOpenAPIRequest(request)
        errors = [str(e) for e in self.openapi.iter_request_errors(openapi_request)] if self.openapi else []
        if errors:
            self.rejected.extend(f"{request.method} {request.path}: {e}" for e in errors)
            return _json(422, {"message": "Validation error", "detail": [
                {"loc": ["request"], "msg": e[:300], "type": "value_error"} for e in errors]})
        fault = self._take_fault(operation)
        if fault is not None and fault.kind == "fail":
            return _json(fault.status, {"message": f"Emulated failure {fault.status}"})
        response = self._route(request, operation)
        if request.method != "GET" or operation == "cash-registers/ask-offline-codes":
            self._remember()
        if self.openapi is not None and response.status_code in (200, 201, 202, 422):
            problems = [str(e) for e in self.openapi.iter_response_errors(openapi_request,
                                                                          WerkzeugOpenAPIResponse(response))]
            self.response_errors.extend(f"{request.method} {request.path}: {p}" for p in problems)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if fault is not None and fault.kind == "lose":
            raise _Drop()
        return response

    def _route(self, request: Request, operation: str) -> Response:
        method = request.method
        body = request.get_json(silent=True) or {}
        if (method, operation) == ("POST", "cashier/signin"):
            if self.credentials.get(body.get("login")) != body.get("password"):
                return _json(403, {"message": "Невірний логін або пароль"})
            return self._token()
        if (method, operation) == ("POST", "cashier/signinPinCode"):
            if request.headers.get("X-License-Key") != self.license_key or body.get("pin_code") != self.pin_code:
                return _json(403, {"message": "Невірний пін-код або ключ ліцензії"})
            return self._token()
        if operation.startswith("cash-registers/") and request.headers.get("X-License-Key", self.license_key) \
                != self.license_key:
            return _json(403, {"message": "Невірний ключ ліцензії"})
        if (method, operation) == ("GET", "cash-registers/info"):
            return _json(200, self._register_info())
        if (method, operation) == ("GET", "cash-registers/get-offline-time"):
            return _json(200, self._offline_time(request.args))
        if request.headers.get("Authorization", "")[7:] not in self.tokens:
            return _json(403, {"message": "Not authenticated"})
        routes = {
            ("GET", "tax"): lambda: _json(200, [self._tax(code) for code, *_ in TAXES]),
            ("GET", "shifts"): lambda: self._list_shifts(request.args),
            ("POST", "shifts"): lambda: self._open_shift(request, body),
            ("POST", "shifts/close"): lambda: self._close_shift(body),
            ("POST", "receipts/sell"): lambda: self._sell(body, offline=False),
            ("POST", "receipts/sell-offline"): lambda: self._sell(body, offline=True),
            ("POST", "cash-registers/ping-tax-service"): lambda: _json(
                200, {"status": "DONE" if self.tax_online else "ERROR"}),
            ("POST", "cash-registers/go-offline"): lambda: self._go_offline(body),
            ("POST", "cash-registers/go-online"): self._go_online,
            ("GET", "cash-registers/ask-offline-codes"): lambda: self._ask_codes(request.args),
            ("GET", "cash-registers/get-offline-codes"): lambda: self._get_codes(request.args),
        }
        if (method, operation) in routes:
            with self._lock:
                return routes[(method, operation)]()
        if method == "GET" and operation.startswith("shifts/"):
            shift = self.shifts.get(operation.split("/", 1)[1])
            return _json(200, self._shift_view(shift)) if shift else _json(404, {"message": "Зміну не знайдено"})
        if method == "GET" and operation.startswith("receipts/"):
            receipt = self.receipts.get(operation.split("/", 1)[1])
            return _json(200, self._receipt_view(receipt)) if receipt else _json(404, {"message": "Чек не знайдено"})
        return _json(404, {"message": "Not found"})

    # cashier and register ----------------------------------------------------------------------------------
    def _token(self) -> Response:
        token = uuid.uuid4().hex
        with self._lock:
            self.tokens.add(token)
        return _json(200, {"type": "bearer", "token_type": "bearer", "access_token": token})

    def _register_info(self) -> dict:
        current = self._current_shift()
        return {"id": self.register["id"], "fiscal_number": self.register["fiscal_number"],
                "created_at": self.register["created_at"], "address": "м. Київ, вул. Тестова, 1",
                "title": "Каса 1", "offline_mode": self.register["offline"], "stay_offline": False,
                "has_shift": current is not None,
                "documents_state": {"last_receipt_code": self._fiscal_serial, "last_report_code": 0,
                                    "last_z_report_code": sum(1 for s in self.shifts.values() if s["z_report"])}}

    def _offline_time(self, args) -> dict:
        now = self.clock()
        since = dt.datetime.fromisoformat(args["from_date"]) if args.get("from_date") else None
        until = dt.datetime.fromisoformat(args["to_date"]) if args.get("to_date") else now
        sessions = []
        for item in self.offline_sessions:
            start = dt.datetime.fromisoformat(item["start"])
            end = dt.datetime.fromisoformat(item["end"]) if item["end"] else now
            start, end = max(start, since) if since else start, min(end, until)
            if end > start:
                sessions.append({"start": iso(start), "end": iso(end), "duration": int((end - start).total_seconds())})
        current = sessions[-1]["duration"] if self.register["offline"] and sessions else 0
        return {"status": {"current": current, "total": sum(s["duration"] for s in sessions)}, "sessions": sessions}

    def record_offline_session(self, start: dt.datetime, end: dt.datetime) -> None:
        """An offline session of this register the till did not make (another device, an earlier install)."""
        self.offline_sessions.append({"start": iso(start), "end": iso(end), "code": None})

    def _tax(self, code: int) -> dict:
        _, symbol, rate, label = next(t for t in TAXES if t[0] == code)
        return {"id": str(uuid.UUID(int=code)), "code": code, "label": label, "symbol": symbol, "rate": rate,
                "included": True, "created_at": self.register["created_at"], "no_vat": rate == 0}

    # shifts -------------------------------------------------------------------------------------------------
    def _current_shift(self) -> dict | None:
        return next((s for s in self.shifts.values() if s["status"] in ("CREATED", "OPENING", "OPENED")), None)

    def _list_shifts(self, args) -> Response:
        wanted = args.getlist("statuses") or ["CREATED", "OPENING", "OPENED", "CLOSING", "CLOSED"]
        found = [s for s in self.shifts.values() if s["status"] in wanted]
        if args.get("desc") == "true":
            found.reverse()
        limit, offset = int(args.get("limit", 25)), int(args.get("offset", 0))
        views = [self._shift_view(s, with_cashier=False) for s in found[offset:offset + limit]]
        return _json(200, {"meta": {"limit": limit, "offset": offset}, "results": views})

    def _open_shift(self, request: Request, body: dict) -> Response:
        if request.headers.get("X-License-Key") != self.license_key:
            return _json(403, {"message": "Невірний ключ ліцензії"})
        shift_id = body.get("id") or str(uuid.uuid4())
        if shift_id in self.shifts:
            return _json(400, {"message": "Зміна з таким ID вже існує"})
        if self._current_shift() is not None:
            return _json(400, {"message": "Касир вже працює з відкритою зміною"})
        code = body.get("fiscal_code")
        if self.register["offline"]:  # opened offline: under a reserved code, sent with the offline chain
            if code not in self.offline_codes or code in self._used_codes():
                return _json(400, {"message": f"Фіскальний номер {code} не зарезервовано або вже використано"})
        elif not self.tax_online:
            return _json(400, {"message": "ДПС недоступна"})
        now = body.get("fiscal_date") or iso(self.clock())
        self.shifts[shift_id] = {"id": shift_id, "serial": len(self.shifts) + 1, "status": "OPENED",
                                 "opened_at": now, "closed_at": None, "created_at": now, "z_report": None,
                                 "sales": {}, "returns": {}, "cash": [0, 0], "card": [0, 0], "counts": [0, 0],
                                 "fiscal_code": code if self.register["offline"] else None}
        item = {"kind": "shift_open", "shift_id": shift_id}
        if self.register["offline"]:
            self.register["pending"].append(item)
        else:
            self.tax_service.append(item)
        view = self._shift_view(self.shifts[shift_id])
        view["status"] = "OPENING"  # the answer comes before the tax service's; reading it again says OPENED
        return _json(202, view)

    def _close_shift(self, body: dict) -> Response:
        shift = next((s for s in self.shifts.values() if s["status"] == "OPENED"), None)
        if shift is None:
            return _json(400, {"message": "Немає відкритої зміни"})
        if self.register["offline"] or not self.tax_online:
            return _json(400, {"message": "Каса в офлайн режимі: спершу перейдіть в онлайн"})
        now = iso(self.clock())
        shift.update(status="CLOSED", closed_at=now)
        shift["z_report"] = {
            "id": str(uuid.uuid4()), "serial": sum(1 for s in self.shifts.values() if s["z_report"]) + 1,
            "is_z_report": True, "created_at": now, "initial": 0,
            "balance": shift["cash"][0] - shift["cash"][1],
            "sell_receipts_count": shift["counts"][0], "return_receipts_count": shift["counts"][1],
            "cash_withdrawal_receipts_count": 0, "transfers_count": 0, "transfers_sum": 0,
            "payments": [{"id": str(uuid.uuid4()), "type": kind.upper() if kind == "cash" else "CASHLESS",
                          "label": "Готівка" if kind == "cash" else "Картка", "sell_sum": shift[kind][0],
                          "return_sum": shift[kind][1], "service_in": 0, "service_out": 0, "cash_withdrawal": 0,
                          "cash_withdrawal_commission": 0} for kind in ("cash", "card")],
            "taxes": [dict(self._tax(code), sell_sum=shift["sales"].get(str(code), 0),
                           return_sum=shift["returns"].get(str(code), 0),
                           sales_turnover=shift["sales"].get(str(code), 0),
                           returns_turnover=shift["returns"].get(str(code), 0), setup_date=now)
                      for code, *_ in TAXES]}
        for tax in shift["z_report"]["taxes"]:
            tax.pop("included"), tax.pop("updated_at", None)
        self.tax_service.append({"kind": "z_report", "shift_id": shift["id"]})
        view = self._shift_view(shift)
        view["status"] = "CLOSING"
        return _json(202, view)

    def _shift_view(self, shift: dict, with_cashier: bool = True) -> dict:
        view = {"id": shift["id"], "serial": shift["serial"], "status": shift["status"],
                "opened_at": shift["opened_at"], "created_at": shift["created_at"], "taxes": [],
                "cash_register": {"id": self.register["id"], "fiscal_number": self.register["fiscal_number"],
                                  "active": True, "created_at": self.register["created_at"]}}
        if shift["closed_at"]:
            view["closed_at"] = shift["closed_at"]
        if shift["z_report"]:
            view["z_report"] = shift["z_report"]
        if with_cashier:
            view["cashier"] = self.cashier
        return view

    # receipts -----------------------------------------------------------------------------------------------
    def _sell(self, body: dict, *, offline: bool) -> Response:
        receipt_id = body.get("id") or str(uuid.uuid4())
        if receipt_id in self.receipts:
            return _json(400, {"message": f"Чек з ID {receipt_id} вже існує"})
        shift = next((s for s in self.shifts.values() if s["status"] == "OPENED"), None)
        if shift is None:
            return _json(400, {"message": "Зміну не відкрито"})
        if offline:
            if not self.register["offline"]:
                return _json(400, {"message": "Каса не в офлайн режимі"})
            code = body["fiscal_code"]
            if code not in self.offline_codes or any(r["fiscal_code"] == code for r in self.receipts.values()):
                return _json(400, {"message": f"Фіскальний номер {code} не зарезервовано або вже використано"})
        elif self.register["offline"]:
            return _json(400, {"message": "Каса в офлайн режимі: використовуйте sell-offline"})
        elif not self.tax_online:
            return _json(400, {"message": "ДПС недоступна: перейдіть в офлайн"})
        goods, total, taxes = [], 0, {}
        returns = [bool(item.get("is_return")) for item in body["goods"]]
        if any(returns) and not all(returns):
            return _json(400, {"message": "Чек не може містити продаж і повернення разом"})
        for item in body["goods"]:
            good = item["good"]
            line = (good["price"] * item["quantity"] + 500) // 1000
            discount = sum(int(d["value"]) for d in item.get("discounts", []) if d["mode"] == "VALUE")
            amount = line - discount
            total += amount
            for code in good.get("tax", []):
                taxes[str(code)] = taxes.get(str(code), 0) + amount
            goods.append({"good": {"code": good["code"], "name": good["name"], "price": good["price"]},
                          "sum": amount, "quantity": item["quantity"], "is_return": bool(item.get("is_return")),
                          "taxes": []})
        payments = body.get("payments") or []
        paid = sum(p["value"] for p in payments)
        round_sum = 0
        if body.get("rounding") and any(p.get("type") == "CASH" for p in payments):
            round_sum = (total + 5) // 10 * 10 - total
        due = total + round_sum
        if paid < due or (paid > due and not any(p.get("type") == "CASH" for p in payments)):
            return _json(400, {"message": f"Сума оплат {paid} не відповідає сумі чека {due}"})
        now = self.clock()
        fiscal_date = body.get("fiscal_date") or iso(now)
        receipt = {"id": receipt_id, "type": "RETURN" if all(returns) else "SELL", "serial": len(self.receipts) + 1,
                   "status": "DONE", "goods": goods, "payments": payments, "total_sum": total,
                   "total_payment": paid, "total_rest": paid - due, "round_sum": round_sum,
                   "fiscal_date": fiscal_date, "created_at": iso(now), "shift_id": shift["id"],
                   "is_created_offline": offline, "is_sent_dps": not offline, "taxes": taxes,
                   "related_receipt_id": body.get("related_receipt_id"), "fiscal_code": None}
        if offline:
            receipt["fiscal_code"] = body["fiscal_code"]
            self.register["pending"].append({"kind": "receipt", "receipt_id": receipt_id})
        else:
            self._fiscal_serial += 1
            receipt["fiscal_code"] = f"TEST{self.register['fiscal_number'][-4:]}{self._fiscal_serial:07d}"
            self.tax_service.append({"kind": "receipt", "receipt_id": receipt_id})
        receipt["tax_url"] = self.check_url(receipt)
        self.receipts[receipt_id] = receipt
        self._add_to_shift(shift, receipt)
        view = self._receipt_view(receipt)
        view["status"] = "CREATED" if not offline else "DONE"
        return _json(201, view)

    def check_url(self, receipt: dict) -> str:
        moment = dt.datetime.fromisoformat(receipt["fiscal_date"])
        return (f"{TAX_CHECK_URL}?fn={self.register['fiscal_number']}&id={receipt['fiscal_code']}"
                f"&sm={receipt['total_sum'] / 100:.2f}&date={moment:%Y%m%d}&time={moment:%H:%M:%S}")

    @staticmethod
    def _add_to_shift(shift: dict, receipt: dict) -> None:
        index = 1 if receipt["type"] == "RETURN" else 0
        bucket = shift["returns"] if index else shift["sales"]
        for code, amount in receipt["taxes"].items():
            bucket[code] = bucket.get(code, 0) + amount
        shift["counts"][index] += 1
        for payment in receipt["payments"]:
            kind = "cash" if payment.get("type") == "CASH" else "card"
            shift[kind][index] += payment["value"] - (receipt["total_rest"] if kind == "cash" else 0)

    def _receipt_view(self, receipt: dict) -> dict:
        shift = self.shifts[receipt["shift_id"]]
        view = {key: receipt[key] for key in ("id", "type", "serial", "status", "goods", "payments", "total_sum",
                                               "total_payment", "total_rest", "round_sum", "fiscal_code",
                                               "fiscal_date", "created_at", "is_created_offline",
                                               "is_sent_dps", "tax_url")}
        view["taxes"] = []
        if receipt["related_receipt_id"]:
            view["related_receipt_id"] = receipt["related_receipt_id"]
        view["shift"] = self._shift_view(shift)
        return view

    # offline mode -------------------------------------------------------------------------------------------
    def _reserve(self, count: int) -> None:
        while len(self.offline_codes) < count:
            self.offline_codes.append(f"OFF{self.register['fiscal_number'][-4:]}{self._next_code:06d}")
            self._next_code += 1

    def _ask_codes(self, args) -> Response:
        if self.register["offline"] or not self.tax_online:
            return _json(400, {"message": "Запит кодів можливий лише в онлайн режимі"})
        self._reserve(int(args.get("count", 150)))
        return _json(200, {"status": "DONE"})

    def _get_codes(self, args) -> Response:
        count = int(args.get("count", 150))
        used = self._used_codes()
        free = [code for code in self.offline_codes if code not in used][:count]
        return _json(200, [{"fiscal_code": code, "serial_id": self.offline_codes.index(code) + 1,
                            "cash_register_id": self.register["id"], "created_at": self.register["created_at"]}
                           for code in free])

    def _used_codes(self) -> set[str]:
        return ({r["fiscal_code"] for r in self.receipts.values()} | {s["code"] for s in self.offline_sessions}
                | {s["fiscal_code"] for s in self.shifts.values() if s.get("fiscal_code")})

    def _go_offline(self, body: dict) -> Response:
        if self.register["offline"]:
            if body.get("fiscal_code") in (None, self.register["offline_code"]):
                return _json(200, {"status": "OFFLINE"})  # the same request again
            return _json(400, {"message": "Каса вже в офлайн режимі"})
        code = body.get("fiscal_code")
        if code is not None and code not in self.offline_codes:
            return _json(400, {"message": f"Фіскальний номер {code} не зарезервовано"})
        since = body.get("go_offline_date") or iso(self.clock())
        self.register.update(offline=True, offline_code=code, offline_since=since, pending=[])
        self.offline_sessions.append({"start": since, "end": None, "code": code})
        return _json(200, {"status": "OFFLINE"})

    def _go_online(self) -> Response:
        if not self.register["offline"]:
            return _json(200, {"status": "ONLINE"})
        if not self.tax_online:
            return _json(400, {"message": "ДПС недоступна: каса залишається в офлайн режимі"})
        self.tax_service.append({"kind": "go_offline", "fiscal_code": self.register["offline_code"]})
        for item in self.register["pending"]:
            if item["kind"] == "receipt":
                self.receipts[item["receipt_id"]]["is_sent_dps"] = True
            self.tax_service.append(item)
        self.tax_service.append({"kind": "go_online"})
        self.offline_sessions[-1]["end"] = iso(self.clock())
        self.offline_codes = [c for c in self.offline_codes if c not in self._used_codes()]
        self.register.update(offline=False, offline_code=None, offline_since=None, pending=[])
        return _json(200, {"status": "ONLINE"})


def _json(status: int, body) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def start_checkbox_emulator(**options) -> tuple[str, CheckboxEmulator]:
    emulator = CheckboxEmulator(**options)
    return emulator.start(), emulator
