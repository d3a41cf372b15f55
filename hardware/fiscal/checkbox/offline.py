"""The till's own record of Checkbox's offline mode: the stock of reserved offline fiscal codes, the
offline sessions (for the law's limits) and the receipts fiscalised offline until Checkbox has them.

Ukrainian law lets a PRRO work offline for at most 36 hours in one session and 168 hours in a calendar
month (Kyiv time).  The till cannot ask Checkbox while it is unreachable, so it counts itself: a session
starts when the till goes offline and ends when Checkbox has taken the offline chain and gone online.

Kept as one JSON document written atomically (temporary file, fsync, rename) before anything that depends
on it is printed: a code is never handed out twice, an offline receipt is never lost by a crash.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
import threading
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

SESSION_LIMIT = dt.timedelta(hours=36)
MONTH_LIMIT = dt.timedelta(hours=168)
WARN_BEFORE = dt.timedelta(hours=6)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


@dataclass(frozen=True)
class Allowance:
    """What the law still allows.  ``state``: online | offline | warning (offline, near a limit) |
    refused (offline at a limit: no fiscal sale until Checkbox is back)."""

    state: str
    offline_since: str | None
    session_hours_used: float
    session_hours_left: float
    month_hours_used: float
    month_hours_left: float
    codes_left: int
    receipts_waiting: int
    limit: str | None = None  # session | month: the one that is near or reached

    def as_dict(self) -> dict:
        return asdict(self)


class OfflineBook:
    def __init__(self, path: str | os.PathLike | None = None, *, timezone: str = "Europe/Kyiv",
                 warn_before: dt.timedelta = WARN_BEFORE):
        self.path = Path(path) if path else None
        self.zone = ZoneInfo(timezone)
        self.warn_before = warn_before
        self._lock = threading.RLock()
        self.data = {"codes": [], "sessions": [], "receipts": [], "cache": {}}
        if self.path is not None and self.path.exists():
            self.data = json.loads(self.path.read_text("utf-8"))

    def save(self) -> None:
        if self.path is None:
            return
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=self.path.name, suffix=".tmp", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(self.data, handle, ensure_ascii=False)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise

    # what Checkbox told us last (needed while it cannot be asked) ----------------------------------------
    @property
    def cache(self) -> dict:
        return self.data.setdefault("cache", {})

    def remember(self, **values) -> None:
        with self._lock:
            if any(self.cache.get(k) != v for k, v in values.items()):
                self.cache.update(values)
                self.save()

    # codes -----------------------------------------------------------------------------------------------
    def add_codes(self, codes: list[str]) -> int:
        """Keep the codes Checkbox reserved that the till has not used (Checkbox hands unused ones out again)."""
        with self._lock:
            used = ({r["fiscal_code"] for r in self.data["receipts"]} | {s["code"] for s in self.data["sessions"]}
                    | {s["shift"]["code"] for s in self.data["sessions"] if s.get("shift")})
            known = set(self.data["codes"])
            fresh = [c for c in codes if c not in used and c not in known]
            if fresh:
                self.data["codes"].extend(fresh)
                self.save()
            return len(self.data["codes"])

    @property
    def codes_left(self) -> int:
        return len(self.data["codes"])

    def _take_code(self) -> str | None:
        return self.data["codes"].pop(0) if self.data["codes"] else None

    # sessions ----------------------------------------------------------------------------------------------
    @property
    def session(self) -> dict | None:
        """The offline session in progress, if any."""
        sessions = self.data["sessions"]
        return sessions[-1] if sessions and sessions[-1]["end"] is None else None

    @property
    def offline(self) -> bool:
        return self.session is not None

    def unreported_sessions(self) -> list[dict]:
        return [s for s in self.data["sessions"] if not s["reported"]]

    def start_session(self, now: dt.datetime, reason: str, *, open_shift: bool = False) -> dict:
        """Go offline now; the go-offline document takes a reserved code of its own, and so does opening
        the shift offline when none is open (``open_shift``)."""
        with self._lock:
            if self.session is not None:
                return self.session
            if self.codes_left < (3 if open_shift else 2):  # and one for a receipt
                raise LookupError("no offline fiscal code left")
            session = {"start": now.isoformat(), "end": None, "code": self._take_code(), "reported": False,
                       "reason": reason}
            if open_shift:
                session["shift"] = {"id": str(uuid.uuid4()), "code": self._take_code(), "date": now.isoformat(),
                                    "reported": False}
            self.data["sessions"].append(session)
            self.save()
            return session

    def mark_reported(self, session: dict, part: str | None = None) -> None:
        """The go-offline document (or the session's offline shift opening, ``part="shift"``) reached Checkbox."""
        with self._lock:
            for kept in self.data["sessions"]:
                if kept["start"] == session["start"]:
                    (kept[part] if part else kept)["reported"] = True
            self.save()

    def unreported_shifts(self) -> list[dict]:
        return [s for s in self.data["sessions"] if s.get("shift") and not s["shift"]["reported"]]

    def end_session(self, now: dt.datetime) -> None:
        with self._lock:
            if self.session is not None:
                self.session["end"] = now.isoformat()
                self.save()

    # receipts fiscalised offline ------------------------------------------------------------------------------
    def receipt(self, receipt_id: str) -> dict | None:
        return next((copy.deepcopy(r) for r in self.data["receipts"] if r["id"] == receipt_id), None)

    def add_receipt(self, receipt_id: str, reference: str, body: dict, now: dt.datetime) -> dict:
        """Take a code and record the receipt under it, in one durable write."""
        with self._lock:
            code = self._take_code()
            if code is None:
                raise LookupError("no offline fiscal code left")
            entry = {"id": receipt_id, "reference": reference, "fiscal_code": code, "fiscal_date": now.isoformat(),
                     "body": {**body, "fiscal_code": code, "fiscal_date": now.isoformat()}, "uploaded": False,
                     "superseded_by": None, "session": self.session["start"]}
            self.data["receipts"].append(entry)
            self.save()
            return copy.deepcopy(entry)

    def waiting(self) -> list[dict]:
        return [copy.deepcopy(r) for r in self.data["receipts"] if not r["uploaded"]]

    def mark_uploaded(self, receipt_id: str, superseded_by: str | None = None) -> None:
        with self._lock:
            for entry in self.data["receipts"]:
                if entry["id"] == receipt_id:
                    entry["uploaded"] = True
                    entry["superseded_by"] = superseded_by
            self.save()

    # the law's limits ------------------------------------------------------------------------------------------
    def month_start(self, now: dt.datetime) -> dt.datetime:
        local = now.astimezone(self.zone)
        return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.timezone.utc)

    def _offline_between(self, start: dt.datetime, now: dt.datetime) -> dt.timedelta:
        used = dt.timedelta(0)
        for session in self.data["sessions"]:
            begin = max(_parse(session["start"]), start)
            end = _parse(session["end"]) or now
            if end > begin:
                used += end - begin
        return used

    def remember_server_month(self, now: dt.datetime, seconds: int) -> None:
        """Checkbox's own count of this register's offline time this month (other devices' sessions too)."""
        self.remember(server_month={"month_start": self.month_start(now).isoformat(), "seconds": int(seconds),
                                    "at": now.isoformat()})

    def month_used(self, now: dt.datetime) -> dt.timedelta:
        """Offline time this calendar month: the till's own sessions, or Checkbox's count when it said more
        (plus what the till spent offline since it asked)."""
        month_start = self.month_start(now)
        used = self._offline_between(month_start, now)
        server = self.cache.get("server_month")
        if server and server["month_start"] == month_start.isoformat():
            at = _parse(server["at"])
            used = max(used, dt.timedelta(seconds=server["seconds"]) + self._offline_between(at, now))
        return used

    def allowance(self, now: dt.datetime) -> Allowance:
        session = self.session
        month = self.month_used(now)
        month_left = max(MONTH_LIMIT - month, dt.timedelta(0))
        used = now - _parse(session["start"]) if session else dt.timedelta(0)
        session_left = max(SESSION_LIMIT - used, dt.timedelta(0))
        binding, left = ("session", session_left) if session_left <= month_left else ("month", month_left)
        state, limit = "online", None
        if session is not None:
            state = "offline"
            if left <= dt.timedelta(0):
                state, limit = "refused", binding
            elif left <= self.warn_before:
                state, limit = "warning", binding
        elif month_left <= dt.timedelta(0):
            limit = "month"  # online sales go on; going offline is no longer allowed this month
        return Allowance(state, session["start"] if session else None, _hours(used), _hours(session_left),
                         _hours(month), _hours(month_left), self.codes_left, len(self.waiting()), limit)
