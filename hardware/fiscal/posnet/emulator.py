"""A POSNET Thermal printer in software, byte for byte, for tests and the demo.

It listens on a real pty pair (the driver opens ``os.ttyname(slave)`` like a
serial port) and/or TCP on 127.0.0.1, keeps its fiscal memory in a JSON file
(:class:`~hardware.fiscal.emulation.FiscalMemory`) and can be told to fail
(:data:`~hardware.fiscal.emulation.FAULTS`), directly or over its control URL.

Like the real device it has two modes: commands prefixed with ``!`` (only
``sprn`` and ``sdev``) are answered at once by the reader; all others go
through one queue and are executed in order — so a printer out of paper holds
the queue while still answering ``!sprn``.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
import queue
import select
import socket
import threading
import time
import tty
from collections import OrderedDict

import hardware.mazovia  # noqa: F401  (a printer set to Mazovia)
from hardware.transliteration import POLISH_LETTERS

from ..base import VAT_LETTERS
from ..emulation import DEFAULT_VAT, ControlServer, FaultPlan, FiscalMemory
from . import frame as posnet
from .totals import split_bill_discount

PAYMENT_TYPES = {0, 2, 3, 4, 5, 6, 7, 8}
TRUE = ("1", "T", "t", "Y", "y")
MODELS = {"POSNET Thermal FV EJ": ("5.01", 99_999_999), "POSNET Thermal HS FV EJ": ("6.01", 9_999_999_999)}


class _Refused(Exception):
    """A command error: ``cmd ?nnnn``."""

    def __init__(self, number: int):
        self.number = number


class _BadFrame(Exception):
    """A frame error: ``ERR ?n cmCMD fdFIELD``."""

    def __init__(self, number: int, field: str | None = None):
        self.number = number
        self.field = field


class _Link:
    def __init__(self, send):
        self.send = send


class PosnetEmulator:
    def __init__(self, memory_path, *, encoding: str = posnet.DEFAULT_ENCODING, late_reply_delay: float = 1.0,
                 clock_offset: dt.timedelta = dt.timedelta(0), vat_rates: dict | None = None,
                 stay_off_after_power_loss: bool = False, model: str = "POSNET Thermal FV EJ"):
        self.memory = FiscalMemory(memory_path, vat_rates or DEFAULT_VAT)
        self.model = model
        self.max_amount = MODELS[model][1]
        #: after a power_loss fault the printer stays dead until a new emulator starts on the same memory
        self.stay_off_after_power_loss = stay_off_after_power_loss
        self.powered = True
        self.faults = FaultPlan()
        self.encoding = encoding
        self.late_reply_delay = late_reply_delay
        self.clock_offset = clock_offset
        self.mechanism = 0  # sprn "pr": 0 OK, 3 cover up, 5 no paper
        self.pty_path: str | None = None
        self.tcp_address: tuple[str, int] | None = None
        self.control_url: str | None = None
        self._queue: queue.Queue = queue.Queue()
        self._executing = False
        self._changed = threading.Condition()
        self._transaction: dict | None = None
        self._last_document = 0
        self._system_number: str | None = None
        self._answers: OrderedDict[str, bytes] = OrderedDict()  # token → reply, for rpt
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._control: ControlServer | None = None
        self._pty_link: Path | None = None
        self._pty_fds: list[int] = []
        self._tcp_server: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._link_stop = threading.Event()
        self._spawn(self._execute_loop, "posnet-emulator-executor")

    # serving ---------------------------------------------------------------------
    def start_pty(self, link: str | os.PathLike | None = None) -> str:
        """A pty pair; with ``link``, a symlink to it that stands for a USB port (``/dev/ttyACM0``): it
        disappears while the printer is off and points at a fresh pty when it is back, as a USB device
        re-enumerates after a power cut."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: a serial line carries raw bytes
        self._pty_fds = [master, slave]  # keeping the slave open: master reads never see EIO between sessions
        self.pty_path = os.ttyname(slave)
        if link is not None:
            self._pty_link = Path(link)
        if self._pty_link is not None:
            temporary = self._pty_link.with_name(self._pty_link.name + ".new")
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(self.pty_path)
            os.replace(temporary, self._pty_link)
            self.pty_path = str(self._pty_link)
        sender = _Link(lambda data: os.write(master, data))
        # a plain pty is an RS-232 line: it stays when the printer is off, which then just does not answer
        stop = self._link_stop if self._pty_link is not None else threading.Event()
        self._spawn(lambda: self._read_pty(master, sender, stop), "posnet-emulator-pty")
        return self.pty_path

    def start_tcp(self, port: int = 0) -> tuple[str, int]:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(4)
        server.settimeout(0.1)
        self._tcp_server = server
        self.tcp_address = server.getsockname()[:2]
        self._spawn(lambda: self._accept(server), "posnet-emulator-tcp")
        return self.tcp_address

    # power ------------------------------------------------------------------------
    def power_off(self) -> None:
        """The plug is pulled: RAM is lost, TCP connections reset and new ones are refused, the USB
        serial port (a ``link``ed pty) vanishes.  The fiscal memory stays."""
        self.powered = False
        self._power_cycle()
        self._link_stop.set()
        for sock in [self._tcp_server, *self._connections]:
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._connections = []
        self._tcp_server = None
        if self._pty_link is not None:
            self._pty_link.unlink(missing_ok=True)
            for fd in self._pty_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._pty_fds = []
        time.sleep(0.1)  # the link threads see the stop and end

    def power_on(self) -> None:
        """Back on: the same TCP port, the same USB name (a new pty behind it)."""
        self._link_stop = threading.Event()
        with self._changed:
            self.mechanism = 0
        self.powered = True
        if self.tcp_address is not None and self._tcp_server is None:
            self.start_tcp(self.tcp_address[1])
        if self._pty_link is not None and not self._pty_fds:
            self.start_pty()

    def start_control(self) -> str:
        self._control = ControlServer(self).start()
        self.control_url = self._control.url
        return self.control_url

    def stop(self) -> None:
        self._stop.set()
        with self._changed:
            self._changed.notify_all()
        for thread in self._threads:
            thread.join(timeout=2)
        for sock in [self._tcp_server, *self._connections]:
            if sock is None:
                continue
            try:
                sock.close()
            except OSError:
                pass
        for fd in self._pty_fds:
            try:
                os.close(fd)
            except OSError:
                pass
        if self._pty_link is not None:
            self._pty_link.unlink(missing_ok=True)
        if self._control:
            self._control.stop()

    # steering ----------------------------------------------------------------------
    def inject(self, fault: str, on: str | None = None, nth: int = 1, error: int | None = None) -> None:
        self.faults.inject(fault, on, nth, error)

    def fix_mechanism(self) -> None:
        """The cashier loaded paper / closed the cover: held commands run on."""
        with self._changed:
            self.mechanism = 0
            self._changed.notify_all()

    refill_paper = fix_mechanism
    close_cover = fix_mechanism

    def now(self) -> dt.datetime:
        return dt.datetime.now() + self.clock_offset

    # reading ------------------------------------------------------------------------
    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _read_pty(self, master: int, link: _Link, stop: threading.Event) -> None:
        reader = posnet.FrameReader()
        while not self._stop.is_set() and not stop.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
            except (OSError, ValueError):
                return  # closed by a power cut
            if not ready:
                continue
            try:
                data = os.read(master, 4096)
            except OSError:
                time.sleep(0.05)
                continue
            for packet in reader.feed(data):
                self._receive(packet, link)

    def _accept(self, server: socket.socket) -> None:
        stop = self._link_stop
        while not self._stop.is_set() and not stop.is_set():
            try:
                conn, _ = server.accept()
            except socket.timeout:
                continue
            except OSError:
                return  # the listening socket was closed (power cut)
            conn.settimeout(0.1)
            self._connections.append(conn)
            link = _Link(conn.sendall)
            self._spawn(lambda conn=conn, link=link: self._read_socket(conn, link), "posnet-emulator-conn")

    def _read_socket(self, conn: socket.socket, link: _Link) -> None:
        reader = posnet.FrameReader()
        stop = self._link_stop
        while not self._stop.is_set() and not stop.is_set():
            try:
                data = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if not data:
                return
            for packet in reader.feed(data):
                self._receive(packet, link)

    def _receive(self, packet: bytes, link: _Link) -> None:
        if not self.powered:
            return
        try:
            request = posnet.decode(packet, self.encoding)
        except posnet.FrameError:
            self._send(link, posnet.Frame("ERR", error=5))
            return
        if request.command.startswith("!"):
            command = request.command[1:]
            if command in ("sprn", "sdev"):
                self._send(link, posnet.Frame(command, self._status(command), request.token))
            else:
                self._send(link, posnet.Frame("ERR", [("cm", command)], request.token, error=12))
            return
        with self._changed:
            self._queue.put((link, request))
            self._changed.notify_all()

    def _send(self, link: _Link, reply: posnet.Frame, *, damage: bool = False) -> bytes:
        data = posnet.encode(reply, self.encoding)
        if damage:
            data = data[:-5] + bytes(reversed(data[-5:-1])) + data[-1:]
            if data == posnet.encode(reply, self.encoding):
                data = data[:-2] + (b"0" if data[-2:-1] != b"0" else b"1") + data[-1:]
        try:
            link.send(data)
        except OSError:
            pass  # the other side went away; a real printer would not notice either
        return data

    # executing ------------------------------------------------------------------------
    def _execute_loop(self) -> None:
        while not self._stop.is_set():
            try:
                link, request = self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
            self._executing = True
            try:
                self._execute_one(link, request)
            finally:
                self._executing = False

    def _execute_one(self, link: _Link, request: posnet.Frame) -> None:
        fault = self.faults.take(request.command)
        if fault == "no_reply":
            return
        if fault == "refuse":
            self._send(link, posnet.Frame(request.command, [], request.token, error=self.faults.refusal))
            return
        if fault in ("paper_out", "cover_open"):
            with self._changed:
                self.mechanism = 5 if fault == "paper_out" else 3
        with self._changed:
            while self.mechanism and not self._stop.is_set():
                self._changed.wait(0.05)
        if self._stop.is_set():
            return
        reply = self._execute(request)
        if fault == "power_loss":
            self._power_cycle()
            return
        if fault == "late_reply":
            time.sleep(self.late_reply_delay)
        self._send(link, reply, damage=fault == "bad_crc")
        if request.token and request.command != "rpt":
            self._answers[request.token] = posnet.encode(reply, self.encoding)
            while len(self._answers) > 32:  # the printer keeps 32 answers
                self._answers.popitem(last=False)

    def _power_cycle(self) -> None:
        """What RAM loses when the power goes: the open receipt, the queue, the answers."""
        self._transaction = None
        self._system_number = None
        self._answers.clear()
        if self.stay_off_after_power_loss:
            self.powered = False
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break

    def _execute(self, request: posnet.Frame) -> posnet.Frame:
        if request.command == "rpt":  # repeat the answer given to the command with this token
            answer = self._answers.get(request.token or "")
            if answer is None:
                return posnet.Frame("ERR", [("cm", "rpt")], request.token, error=13)
            return posnet.decode(answer, self.encoding)
        handler = getattr(self, "_cmd_" + request.command, None)
        if handler is None:
            return posnet.Frame("ERR", [("cm", request.command)], request.token, error=1)
        try:
            params = handler(request) or []
        except _Refused as refused:
            return posnet.Frame(request.command, [], request.token, error=refused.number)
        except _BadFrame as bad:
            params = [("cm", request.command)] + ([("fd", bad.field)] if bad.field else [])
            return posnet.Frame("ERR", params, request.token, error=bad.number)
        return posnet.Frame(request.command, params, request.token)

    # field readers ---------------------------------------------------------------------
    @staticmethod
    def _required(request: posnet.Frame, name: str) -> str:
        value = request.get(name)
        if value is None:
            raise _BadFrame(2, name)
        return value

    @staticmethod
    def _kwota(request: posnet.Frame, name: str, default: int | None = None) -> int | None:
        value = request.get(name)
        if value is None:
            return default
        if not value.isdigit() or len(value) > 10:
            raise _BadFrame(3, name)  # e.g. "12,34" where the spec wants 1234
        return int(value)

    def _amount(self, request: posnet.Frame, name: str, default: int | None = None) -> int | None:
        """A Kwota within this model's maximum (spec: "Typy danych")."""
        value = self._kwota(request, name, default)
        if value is not None and value > self.max_amount:
            raise _BadFrame(3, name)
        return value

    @staticmethod
    def _text(request: posnet.Frame, name: str, limit: int) -> str | None:
        """Alfanum: characters 32–255, of which above 127 only the Polish letters print; a strict
        printer refuses the rest (``ERR_LINE``) rather than print something else."""
        value = request.get(name)
        if value is None:
            return None
        if len(value) > limit:
            raise _BadFrame(10, name)
        if any(not (" " <= char <= "~" or char in POLISH_LETTERS) for char in value):
            raise _Refused(2055)
        return value

    @staticmethod
    def _bool(request: posnet.Frame, name: str, default: bool) -> bool:
        value = request.get(name)
        if value is None:
            return default
        if value not in ("0", "1", "T", "N", "Y", "t", "n", "y"):
            raise _BadFrame(3, name)
        return value in TRUE

    def _open_transaction(self) -> dict:
        if self._transaction is None:
            raise _Refused(2005)  # ERR_NO_TRNS_MODE
        return self._transaction

    def _transaction_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for line in (self._transaction or {}).get("lines", []):
            totals[line["vat"]] = totals.get(line["vat"], 0) + line["amount"]
        return split_bill_discount(totals, (self._transaction or {}).get("bill_discount", 0))

    # commands ----------------------------------------------------------------------------
    def _cmd_ftrcfg(self, request):
        number = self._text(request, "sn", 30)
        if number is not None:
            self._system_number = number

    def _cmd_trinit(self, request):
        if self._transaction is not None:
            raise _Refused(2038)  # ERR_TRNS_MODE
        self._bool(request, "bm", False)
        self._transaction = {"lines": [], "payments": [], "change": 0, "system_number": self._system_number,
                             "bill_discount": 0}
        self._system_number = None

    def _cmd_trline(self, request):
        transaction = self._open_transaction()
        self._required(request, "na")
        name = self._text(request, "na", 40)
        if not name.strip():
            raise _Refused(2055)
        vt = self._required(request, "vt")
        if not vt.isdigit() or int(vt) > 6:
            raise _BadFrame(3, "vt")
        letter = VAT_LETTERS[int(vt)]
        if self.memory.data["vat_rates"].get(letter, "inactive") == "inactive":
            raise _Refused(2000)  # ERR_TR_FLD_VAT
        price = self._amount(request, "pr")
        if price is None:
            raise _BadFrame(2, "pr")
        if price <= 0:
            raise _Refused(2006)
        try:
            milli, _ = posnet.parse_num(request.get("il", "1"))
        except ValueError:
            raise _BadFrame(3, "il")
        if milli <= 0:
            raise _Refused(2007)
        if self._bool(request, "st", False):
            raise _Refused(1990)  # storno is not emulated
        value = (price * milli + 500) // 1000
        if value > self.max_amount:
            raise _Refused(1956)  # ERR_TR_TOTAL_OVR
        stated = self._amount(request, "wa")
        if stated is not None and stated != value:
            raise _Refused(2008)  # ERR_TR_FLD_TOTAL
        discount = 0
        if request.get("rp") is not None:
            percent = self._kwota(request, "rp")
            if percent > 9999:
                raise _Refused(2601)
            discount = (value * percent + 5000) // 10000
        elif request.get("rw") is not None:
            discount = self._kwota(request, "rw")
        if not self._bool(request, "rd", True):
            discount = -discount  # narzut: a surcharge
        amount = value - discount
        if amount <= 0:
            raise _Refused(1985)  # ERR_TR_DISCNT_AFTER_NEGATIVE_OR_ZERO
        transaction["lines"].append({"name": name, "vat": letter, "price": price, "quantity_milli": milli,
                                     "value": value, "discount": discount, "amount": amount})

    def _cmd_trdiscntbill(self, request):
        transaction = self._open_transaction()
        if transaction["payments"]:
            raise _Refused(1991)  # ERR_TR_DISCNT_NOT_ALLOWED: payments have started
        self._text(request, "na", 25)
        base = sum(line["amount"] for line in transaction["lines"])
        if base <= 0:
            raise _Refused(1983)  # ERR_TR_DISCNT_BASE_NEGATIVE_OR_ZERO
        if request.get("rp") is not None:
            percent = self._kwota(request, "rp")
            if percent > 9999:
                raise _Refused(2601)
            value = (base * percent + 5000) // 10000
        else:
            value = self._amount(request, "rw")
            if value is None:
                raise _BadFrame(2, "rw")
        if value == 0:
            raise _Refused(1984)  # ERR_TR_DISCNT_ZERO
        if not self._bool(request, "rd", True):
            raise _Refused(2600)  # surcharges on the bill are not emulated
        if value >= base - transaction["bill_discount"]:
            raise _Refused(1985)  # ERR_TR_DISCNT_AFTER_NEGATIVE_OR_ZERO
        transaction["bill_discount"] += value

    def _cmd_trpayment(self, request):
        transaction = self._open_transaction()
        kind = self._required(request, "ty")
        if not kind.isdigit() or int(kind) not in PAYMENT_TYPES:
            raise _Refused(2705)  # ERR_PF_TYPE
        value = self._amount(request, "wa")
        if value is None:
            raise _BadFrame(2, "wa")
        self._text(request, "na", 25)
        if value == 0:
            raise _Refused(1962)  # ERR_TR_PF_ZERO
        if self._bool(request, "re", False):
            transaction["change"] += value
        else:
            transaction["payments"].append({"type": int(kind), "amount": value, "name": request.get("na")})

    def _cmd_trend(self, request):
        transaction = self._open_transaction()
        totals = self._transaction_totals()
        total = sum(totals.values())
        if total == 0:
            raise _Refused(2041)  # ERR_TR_END_VAL_0
        if total > self.max_amount:
            raise _Refused(1957)  # ERR_TR_FISC_OVR
        stated = self._kwota(request, "to")
        if stated is not None and stated != total:
            raise _Refused(2805)  # ERR_ENDTOT_VERIFY
        paid = sum(p["amount"] for p in transaction["payments"])
        change = transaction["change"]
        if self._kwota(request, "fp") is not None and self._kwota(request, "fp") != paid:
            raise _Refused(2808)
        if self._kwota(request, "re") is not None and self._kwota(request, "re") != change:
            raise _Refused(2809)
        if transaction["payments"]:
            if change == 0 and paid > total:
                change = paid - total  # the printer works the change out itself
            if paid - change != total:
                raise _Refused(2054)  # ERR_TR_END_PAYMENT
        self.memory.record_receipt(transaction["system_number"], totals, total, transaction["lines"],
                                   transaction["payments"], self.now())
        self._last_document = 16
        self._transaction = None

    def _cmd_prncancel(self, request):
        if self._transaction is not None:
            self.memory.record_cancel(sum(self._transaction_totals().values()))
            self._transaction = None

    _cmd_trcancel = _cmd_prncancel

    def _cmd_dailyrep(self, request):
        if self._transaction is not None:
            raise _Refused(2038)
        today = self.now().date()
        if request.get("da") is not None:
            try:
                date = dt.date.fromisoformat(request.get("da").replace(".", "-").replace("/", "-"))
            except ValueError:
                raise _BadFrame(3, "da")
            if date != today:
                raise _Refused(2022)  # ERR_RTC_DIFF
        if not any(self.memory.day_totals.values()) and self.memory.reports_done_on(today):
            raise _Refused(382)  # ERR_RD_ZERO
        self.memory.record_daily_report(today)

    def _cmd_rtcget(self, request):
        return [("da", self.now().strftime("%Y-%m-%d;%H:%M"))]

    def _rates(self) -> list[tuple[str, str]]:
        rates = self.memory.data["vat_rates"]
        return [("v" + k.lower(), posnet.format_rate(rates.get(k, "inactive"))) for k in VAT_LETTERS]

    def _cmd_vatget(self, request):
        return self._rates()

    def _cmd_scnt(self, request):
        data = self.memory.data
        return [("rd", str(len(data["daily_reports"]))), ("hn", str(data["printout_counter"])),
                ("bn", str(data["receipt_counter"])), ("fn", "0"), ("nu", data["unique_number"])]

    def _cmd_stot(self, request):
        data = self.memory.data
        params = [("no", str(len(data["daily_reports"]) + 1))]
        params += [("f" + k.lower(), "0") for k in VAT_LETTERS] + [("fn", "0")]
        params += [("p" + k.lower(), str(data["day_totals"].get(k, 0))) for k in VAT_LETTERS]
        params += [("pn", str(data["day_receipts"])), ("ct", str(data["cancelled_total"])),
                   ("cn", str(data["cancelled"])), ("cc", "0")]
        return params + self._rates()

    def _cmd_strns(self, request):
        totals = self._transaction_totals()
        transaction = self._transaction
        params = [("to", "1" if transaction else "0"), ("ts", "16" if transaction else str(self._last_document))]
        params += [("v" + k.lower(), str(totals.get(k, 0))) for k in VAT_LETTERS]
        paid = sum(p["amount"] for p in transaction["payments"]) if transaction else 0
        return params + [("pp", "0"), ("pm", "0"), ("re", str(transaction["change"] if transaction else 0)),
                         ("fp", str(paid))]

    def _cmd_scomm(self, request):
        return [("fs", "T"), ("tz", "N" if any(self.memory.day_totals.values()) else "T"),
                ("ts", "16" if self._transaction else "0"), ("hr", "T"), ("nu", self.memory.data["unique_number"])]

    def _status(self, command: str) -> list[tuple[str, str]]:
        if command == "sprn":
            return [("pr", str(self.mechanism))]
        idle = self._queue.empty() and not self._executing
        return [("ds", "3" if self.mechanism else "0"), ("cp", "N"), ("qe", "T" if idle else "N")]

    def _cmd_sprn(self, request):
        return self._status("sprn")

    def _cmd_sdev(self, request):
        return self._status("sdev")

    def _cmd_sid(self, request):
        return [("nm", self.model), ("vr", MODELS[self.model][0])]


def start_posnet_emulator(memory_path, transport: str = "pty", **options) -> tuple[str, PosnetEmulator]:
    """Start an emulator and return the URL a :class:`PosnetPrinter` opens:
    a pty path (``/dev/pts/N?baudrate=9600``) or ``socket://127.0.0.1:PORT``."""
    emulator = PosnetEmulator(memory_path, **options)
    emulator.start_control()
    if transport == "tcp":
        host, port = emulator.start_tcp()
        return f"socket://{host}:{port}", emulator
    return f"{emulator.start_pty()}?baudrate=9600", emulator
