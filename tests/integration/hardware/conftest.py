"""Real transports for the store-device integration tests: pty pairs and loopback TCP."""
from __future__ import annotations

import copy
import os
import select
import socket
import threading

import pytest

RECEIPT = {
    "store": {"name": "Obchod Demo", "address": "Dlouhá 1, 110 00 Praha", "tax_id": "CZ12345678"},
    "language": "cs", "fiscal": False, "terminal": "P2", "cashier": "eva", "receipt_number": 7,
    "sale_id": "0190f1cd", "issued_at": "2026-11-23T15:04:05+01:00", "currency": "CZK",
    "lines": [{"name": "Příliš žluťoučký kůň", "quantity": 1, "unit": "pcs", "unit_price": 9900,
               "discount": 0, "amount": 9900, "vat_letter": "A"}],
    "basket_discount": 0,
    "vat": [{"letter": "A", "rate_bp": 2100, "gross": 9900, "vat": 1718}],
    "total": 9900, "rounding": 0, "payments": [{"method": "cash", "amount": 10000}], "change": 100,
    "footer": ["Děkujeme za nákup"],
}

PAPER_QUERY = b"\x10\x04\x04"  # DLE EOT 4


@pytest.fixture
def receipt():
    return copy.deepcopy(RECEIPT)


class LoopbackPrinter:
    """A network printer on 127.0.0.1: answers the paper query, keeps the rest."""

    def __init__(self, paper_reply: bytes = b"\x12"):
        self.paper_reply = paper_reply
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received = bytearray()
        self.got_data = threading.Condition()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                while True:
                    data = connection.recv(65536)
                    if not data:
                        break
                    if PAPER_QUERY in data:
                        connection.sendall(self.paper_reply)
                        data = data.replace(PAPER_QUERY, b"")
                    with self.got_data:
                        self.received.extend(data)
                        self.got_data.notify_all()

    def wait_for(self, size: int, timeout: float = 10) -> bytes:
        with self.got_data:
            self.got_data.wait_for(lambda: len(self.received) >= size, timeout)
            return bytes(self.received)

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def network_printer_factory():
    """``factory(paper_reply=b"\\x12")`` → a started :class:`LoopbackPrinter`."""
    started = []

    def factory(paper_reply: bytes = b"\x12") -> LoopbackPrinter:
        started.append(LoopbackPrinter(paper_reply))
        return started[-1]

    yield factory
    for printer in started:
        printer.close()


@pytest.fixture
def network_printer(network_printer_factory):
    return network_printer_factory()


class PtyPrinter:
    """A serial printer on a pty: the driver opens the slave, this side answers DLE EOT 4."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.received = bytearray()
        self.got_data = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if PAPER_QUERY in data:
                os.write(self.master, b"\x12")
                data = data.replace(PAPER_QUERY, b"")
            with self.got_data:
                self.received.extend(data)
                self.got_data.notify_all()

    def wait_for(self, size: int, timeout: float = 10) -> bytes:
        with self.got_data:
            self.got_data.wait_for(lambda: len(self.received) >= size, timeout)
            return bytes(self.received)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def serial_printer():
    printer = PtyPrinter()
    yield printer
    printer.close()
