"""What a DM-D customer display shows for the bytes it receives, and a pty
emulator of one for tests and the demo (the driver opens the slave path)."""
from __future__ import annotations

import os
import select
import threading

# ESC t numbers of the Epson DM-D code tables
DM_D_CODE_PAGES = {0: "CP437", 2: "CP850", 3: "CP860", 4: "CP863", 5: "CP865", 16: "CP1252",
                   17: "CP866", 18: "CP852", 19: "CP858"}


class DisplayScreen:
    """A 2-line character screen driven by DM-D commands (ESC @, FF, US $ x y, ESC t n, CR, LF)."""

    def __init__(self, columns: int = 20, rows: int = 2):
        self.columns, self.rows = columns, rows
        self._lock = threading.Lock()
        self._pending = b""
        self._reset()
        self.changed = threading.Condition(self._lock)

    def _reset(self) -> None:
        self.grid = [[" "] * self.columns for _ in range(self.rows)]
        self.row = self.column = 0
        self.codec = "cp437"

    @property
    def lines(self) -> list[str]:
        with self._lock:
            return ["".join(row).rstrip() for row in self.grid]

    def wait_for(self, predicate, timeout: float = 10.0) -> bool:
        """Block until ``predicate(lines)`` holds (the pty thread feeds bytes as they come)."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(["".join(r).rstrip() for r in self.grid]), timeout)

    def feed(self, data: bytes) -> None:
        with self._lock:
            data = self._pending + bytes(data)
            self._pending = b""
            i = 0
            while i < len(data):
                needed = _command_length(data, i)
                if i + needed > len(data):
                    self._pending = data[i:]  # a command split across reads
                    break
                self._apply(data[i:i + needed])
                i += needed
            self.changed.notify_all()

    def _apply(self, command: bytes) -> None:
        first = command[0]
        if first == 0x1B:
            if command[1:2] == b"@":
                self._reset()
            elif command[1:2] == b"t":
                self.codec = DM_D_CODE_PAGES.get(command[2], "CP437").lower()
        elif first == 0x1F:
            if command[1:2] == b"$":
                self.column = min(max(command[2], 1), self.columns) - 1
                self.row = min(max(command[3], 1), self.rows) - 1
        elif first == 0x0C:
            self.grid = [[" "] * self.columns for _ in range(self.rows)]
            self.row = self.column = 0
        elif first == 0x0D:
            self.column = 0
        elif first == 0x0A:
            self.row = min(self.row + 1, self.rows - 1)
        elif first == 0x08:
            self.column = max(self.column - 1, 0)
        elif first >= 0x20:
            if self.column >= self.columns:
                self.column, self.row = 0, (self.row + 1) % self.rows
            self.grid[self.row][self.column] = command.decode(self.codec, errors="replace")
            self.column += 1


def _command_length(data: bytes, i: int) -> int:
    first = data[i]
    if first == 0x1B:
        if i + 1 >= len(data):
            return 2
        return 2 if data[i + 1] == ord("@") else 3  # ESC @ | ESC t n, ESC = n, ESC R n ...
    if first == 0x1F:
        if i + 1 >= len(data):
            return 2
        return 4 if data[i + 1] == ord("$") else 3  # US $ x y | US C n, US E n, US X n ...
    return 1


class PtyDisplay:
    """A display emulator on a pseudo-terminal: the driver opens :attr:`port`."""

    def __init__(self, columns: int = 20):
        self.screen = DisplayScreen(columns=columns)
        self.master, self._slave = os.openpty()
        self.port = os.ttyname(self._slave)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_loop, name="pty-display", daemon=True)

    def start(self) -> "PtyDisplay":
        self._thread.start()
        return self

    def _read_loop(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            if data:
                self.screen.feed(data)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "PtyDisplay":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
