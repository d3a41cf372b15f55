"""A checkout scale speaking the Mettler Toledo 8217 protocol on a pty, as hardware.scale expects.

    scale = ScaleEmulator().start()          # scale.port is the path the driver opens
    scale.place(1234)                        # 1.234 kg on the platter, steady
    scale.place(500, motion=True)            # still settling
    scale.unplug() / scale.plug_in()         # the line goes quiet / answers again

Unknown commands get ``STX ? CR`` like a real scale; every command received is kept in ``received``.
"""
from __future__ import annotations

import os
import select
import threading
import tty

STX, CR = b"\x02", b"\r"
CAPACITY_GRAMS = 15_000


class ScaleEmulator:
    def __init__(self, *, capacity_grams: int = CAPACITY_GRAMS):
        self.capacity = capacity_grams
        self.gross = 0
        self.tare = 0
        self.motion = False
        self.faulty = False
        self.answering = True
        self.received: list[bytes] = []
        self.port: str | None = None
        self._fds: list[int] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # what the test does to the scale ---------------------------------------------
    def place(self, grams: int, *, motion: bool = False) -> None:
        self.gross, self.motion = grams, motion

    def unplug(self) -> None:
        self.answering = False

    def plug_in(self) -> None:
        self.answering = True

    # the line --------------------------------------------------------------------
    def start(self) -> "ScaleEmulator":
        master, slave = os.openpty()
        tty.setraw(slave)
        self._fds = [master, slave]
        self.port = os.ttyname(slave)
        self._thread = threading.Thread(target=self._serve, args=(master,), name="scale-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        for fd in self._fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self._fds = []

    def _serve(self, master: int) -> None:
        buffer = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                buffer += os.read(master, 256)
            except OSError:
                continue
            while CR in buffer:
                command, buffer = buffer.split(CR, 1)
                self.received.append(command)
                if self.answering:
                    os.write(master, STX + self._answer(command) + CR)

    def _answer(self, command: bytes) -> bytes:
        if command == b"W":
            return self._weight()
        if command == b"Z":
            if not self.motion and self.tare == 0 and abs(self.gross) < 100:
                self.gross = 0
        elif command == b"T":
            if not self.motion and self.gross > 0:
                self.tare = self.gross
        elif command.startswith(b"T") and len(command) == 6 and command[1:].isdigit():
            self.tare = int(command[1:])
        elif command == b"C":
            if not self.motion:
                self.tare = 0
        else:
            return b"?"
        return b"?" + self._status()

    def _weight(self) -> bytes:
        net = self.gross - self.tare
        if self.faulty or self.motion or net <= 0 or self.gross > self.capacity:
            return b"?" + self._status()
        return b"%02d.%03d" % divmod(net, 1000) + (b"N" if self.tare else b"")

    def _status(self) -> bytes:
        net = self.gross - self.tare
        first = 0x30 | (0x01 if self.motion else 0) | (0x02 if net == 0 else 0) | (0x04 if self.faulty else 0)
        second = 0x30 | (0x01 if net < 0 else 0) | (0x02 if self.gross > self.capacity else 0)
        if second != 0x30:
            return bytes([first | 0x40, second])
        return bytes([first])
