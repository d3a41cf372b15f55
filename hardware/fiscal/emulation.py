"""What the POSNET and NoviAPI emulators share: a fiscal memory that survives
restarts, and the faults a test (or the demo, remotely) can ask for.

Faults (``FAULTS``), each armed for the n-th matching command:

* ``paper_out`` / ``cover_open`` — the mechanism stops *at* that command; the
  device holds it (and everything after it) until :meth:`fix_mechanism`.
* ``no_reply`` — the command is lost on the way: not executed, not answered.
* ``late_reply`` — executed, answered only after ``late_reply_delay`` seconds.
* ``bad_crc`` — executed, answered with a damaged reply.
* ``power_loss`` — executed (a receipt IS in fiscal memory), then the device
  loses power before answering: no reply, RAM state (open transaction) gone.
* ``refuse`` — the command is refused with the spec's error number ``error``
  (e.g. 2055 ``ERR_LINE``), as a printer refuses data it does not accept.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

FAULTS = ("paper_out", "cover_open", "no_reply", "late_reply", "bad_crc", "power_loss")
REFUSE = "refuse"  # not among FAULTS: it takes an error number, and only a device with numbered errors has it
DEFAULT_VAT = {"A": 2300, "B": 800, "C": 500, "D": 0, "E": None, "F": "inactive", "G": "inactive"}


class FiscalMemory:
    """The device's permanent memory as one JSON document, written atomically
    (temporary file, fsync, rename, fsync of the directory) after every change."""

    def __init__(self, path: str | os.PathLike, vat_rates: dict | None = None):
        self.path = Path(path)
        self._lock = threading.RLock()
        if self.path.exists():
            self.data = json.loads(self.path.read_text("utf-8"))
        else:
            self.data = {"vat_rates": dict(vat_rates or DEFAULT_VAT), "receipt_counter": 0, "printout_counter": 0,
                         "day_totals": {}, "day_receipts": 0, "cancelled": 0, "cancelled_total": 0,
                         "daily_reports": [], "receipts": [], "unique_number": "ABC12345678"}
            self.save()

    def save(self) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(self.data, handle, ensure_ascii=False, indent=1)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
            directory = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)

    # what the devices record ---------------------------------------------------
    def record_receipt(self, reference: str | None, totals_by_vat: dict[str, int], total: int, lines: list,
                       payments: list, when: dt.datetime) -> int:
        with self._lock:
            data = self.data
            data["receipt_counter"] += 1
            data["printout_counter"] += 1
            data["day_receipts"] += 1
            for letter, value in totals_by_vat.items():
                data["day_totals"][letter] = data["day_totals"].get(letter, 0) + value
            data["receipts"].append({"number": data["receipt_counter"], "reference": reference, "total": total,
                                     "totals_by_vat": totals_by_vat, "lines": lines, "payments": payments,
                                     "at": when.isoformat(timespec="seconds")})
            self.save()
            return data["receipt_counter"]

    def record_cancel(self, total: int) -> None:
        with self._lock:
            self.data["cancelled"] += 1
            self.data["cancelled_total"] += total
            self.data["printout_counter"] += 1
            self.save()

    def record_daily_report(self, date: dt.date) -> dict:
        with self._lock:
            report = {"number": len(self.data["daily_reports"]) + 1, "date": date.isoformat(),
                      "totals_by_vat": dict(self.data["day_totals"]), "receipts": self.data["day_receipts"]}
            self.data["daily_reports"].append(report)
            self.data["day_totals"] = {}
            self.data["day_receipts"] = 0
            self.data["printout_counter"] += 1
            self.save()
            return report

    # what tests read -----------------------------------------------------------
    @property
    def day_totals(self) -> dict[str, int]:
        return dict(self.data["day_totals"])

    @property
    def receipts(self) -> list[dict]:
        return list(self.data["receipts"])

    def all_totals(self) -> dict[str, int]:
        """Everything ever fiscalised per VAT letter: closed days plus today."""
        totals = dict(self.data["day_totals"])
        for report in self.data["daily_reports"]:
            for letter, value in report["totals_by_vat"].items():
                totals[letter] = totals.get(letter, 0) + value
        return totals

    def reports_done_on(self, date: dt.date) -> int:
        return sum(1 for r in self.data["daily_reports"] if r["date"] == date.isoformat())


class FaultPlan:
    def __init__(self):
        self.refusal: int | None = None
        self._armed: list[dict] = []
        self._lock = threading.Lock()

    def inject(self, fault: str, on: str | None = None, nth: int = 1, error: int | None = None) -> None:
        if fault not in FAULTS and fault != REFUSE:
            raise ValueError(f"unknown fault {fault!r}; known: {FAULTS + (REFUSE,)}")
        if (fault == REFUSE) != (error is not None):
            raise ValueError("a 'refuse' fault needs the error number to answer (and only it takes one)")
        with self._lock:
            self._armed.append({"fault": fault, "on": on, "left": int(nth), "error": error})

    def take(self, command: str) -> str | None:
        """Called once per executed command: returns the fault that fires now (``refuse`` faults
        leave their error number in :attr:`refusal`)."""
        with self._lock:
            for entry in self._armed:
                if entry["on"] in (None, command):
                    entry["left"] -= 1
                    if entry["left"] <= 0:
                        self._armed.remove(entry)
                        self.refusal = entry.get("error")
                        return entry["fault"]
                    return None
            return None

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    @property
    def armed(self) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._armed]


class ControlServer:
    """Lets a test or the demo steer an emulator from outside its process:
    POST /faults {"fault", "on", "nth"}, DELETE /faults, POST /fix, POST /power {"on": bool}, GET /memory."""

    def __init__(self, emulator):
        emulator_ref = emulator

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = handle_control(emulator_ref, "POST", self.path, body)
                self._reply(status, answer)

            def do_DELETE(self):
                status, answer = handle_control(emulator_ref, "DELETE", self.path, {})
                self._reply(status, answer)

            def do_GET(self):
                status, answer = handle_control(emulator_ref, "GET", self.path, {})
                self._reply(status, answer)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fiscal-emulator-control", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "ControlServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def handle_control(emulator, method: str, path: str, body: dict) -> tuple[int, dict]:
    path = path.rstrip("/")
    if path.endswith("/faults") and method == "POST":
        try:
            refusal = {"error": int(body["error"])} if body.get("error") is not None else {}
            emulator.inject(body["fault"], on=body.get("on"), nth=int(body.get("nth", 1)), **refusal)
        except (KeyError, ValueError) as exc:
            return 400, {"error": str(exc)}
        return 201, {"armed": emulator.faults.armed}
    if path.endswith("/faults") and method == "DELETE":
        emulator.faults.clear()
        return 200, {"armed": []}
    if path.endswith("/fix") and method == "POST":
        emulator.fix_mechanism()
        return 200, {"mechanism": 0}
    if path.endswith("/power") and method == "POST":
        if body.get("on", True):
            emulator.power_on()
        else:
            emulator.power_off()
        return 200, {"powered": emulator.powered}
    if path.endswith("/memory") and method == "GET":
        return 200, emulator.memory.data
    return 404, {"error": f"no control endpoint {method} {path}"}


def inject_remote(control_url: str, fault: str, on: str | None = None, nth: int = 1, timeout: float = 5) -> None:
    """Arm a fault in an emulator running elsewhere (another process, the demo)."""
    response = requests.post(f"{control_url.rstrip('/')}/faults", json={"fault": fault, "on": on, "nth": nth},
                             timeout=timeout)
    response.raise_for_status()


def fix_remote(control_url: str, timeout: float = 5) -> None:
    requests.post(f"{control_url.rstrip('/')}/fix", json={}, timeout=timeout).raise_for_status()
