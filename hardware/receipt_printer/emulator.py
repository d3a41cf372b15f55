"""The virtual receipt printer behind ``emulator://printer``.

It is a python-escpos printer class like Usb or Network, so the driver talks
to it exactly as to a real one: it keeps each job's raw bytes (in memory and,
with ``dir=``, as ``job-0001.bin`` files, plus ``job-0001.png`` with ``png=1``), answers the DLE EOT paper and
online status queries from a settable paper state, and can be told to fail
like a cable pulled out.
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.escpos import Escpos

from .render import EscPosRenderer, RenderResult

PAPER_STATES = ("ok", "near_end", "out")
# DLE EOT 4 replies in the bit layout python-escpos's paper_status() decodes
_PAPER_REPLY = {"ok": 0x12, "near_end": 0x1E, "out": 0x72}
_DRAWER_KICK = b"\x1bp"


@dataclass(frozen=True)
class VirtualJob:
    number: int
    data: bytes
    printed: bool  # False when the paper was out: a real printer prints nothing either


class VirtualPrinter(Escpos):
    def __init__(self, profile: str | None = None, directory: str | None = None, keep: int = 200,
                 columns: int | None = None, write_png: bool = False, **kwargs):
        Escpos.__init__(self, profile=profile, **kwargs)
        self.profile_name = profile
        self.columns = columns
        self.directory = Path(directory) if directory else None
        self.write_png = write_png
        self.jobs: deque[VirtualJob] = deque(maxlen=keep)
        self.paper = "ok"
        self.online = True
        self.drawer_kicks = 0
        self._replies: deque[bytes] = deque()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    # python-escpos printer interface ----------------------------------------
    def open(self, raise_not_found: bool = True) -> None:
        if self.directory:
            self.directory.mkdir(parents=True, exist_ok=True)
        self.device = self

    def close(self) -> None:
        self._device = False

    def _raw(self, msg: bytes) -> None:
        with self._lock:
            if not self.online:
                raise ConnectionResetError("virtual printer is switched off")
            if msg == RT_STATUS_PAPER:
                self._replies.append(bytes([_PAPER_REPLY[self.paper]]))
                return
            if msg == RT_STATUS_ONLINE:
                self._replies.append(b"\x12")
                return
            if msg.startswith(_DRAWER_KICK) and len(msg) == 5:
                self.drawer_kicks += 1
                return
            job = VirtualJob(next(self._numbers), bytes(msg), printed=self.paper != "out")
            self.jobs.append(job)
            if self.directory:
                (self.directory / f"job-{job.number:04d}.bin").write_bytes(job.data)
                if self.write_png:
                    (self.directory / f"job-{job.number:04d}.png").write_bytes(self.png(job))

    def _read(self) -> bytes:
        with self._lock:
            return self._replies.popleft() if self._replies else b""

    # for the demo and tests -------------------------------------------------
    def set_paper(self, state: str) -> None:
        if state not in PAPER_STATES:
            raise ValueError(f"paper state must be one of {PAPER_STATES}")
        self.paper = state

    @property
    def last_job(self) -> VirtualJob | None:
        return self.jobs[-1] if self.jobs else None

    def render(self, job: VirtualJob | None = None) -> RenderResult:
        job = job or self.last_job
        if job is None:
            raise LookupError("the virtual printer has not printed anything yet")
        return EscPosRenderer(self.profile_name, self.columns).render(job.data)

    def png(self, job: VirtualJob | None = None) -> bytes:
        return self.render(job).png()
