"""Cashiers: PINs (argon2), login tokens, manager approvals and the audit log."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, case, create_engine, or_, select, update
from sqlalchemy.pool import NullPool

from pos.db import utcnow
from pos.problems import ApiProblem
from pos.staff.models import AuditEntry, AuthToken, Cashier
from pos.stores.models import Location, Terminal

_hasher = PasswordHasher()


def hash_pin(pin: str) -> str:
    return _hasher.hash(pin)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes; everything is stored in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


@dataclass
class PinPolicy:
    attempts: int = 5
    lock_seconds: int = 300


def check_pin(session, login: str, pin: str, policy: PinPolicy, field: str = "pin") -> Cashier:
    """Verify a PIN.  The attempt is counted before the PIN is checked, atomically, so parallel guesses
    cannot get past the limit; a wrong one raises PinRejected and the caller rolls the request back
    (see :func:`count_attempt` for where the count is kept)."""
    cashier = session.scalars(select(Cashier).where(Cashier.login == login, Cashier.active)).one_or_none()
    if cashier is None:
        raise ApiProblem(401, "wrong-pin", "Unknown login or wrong PIN.", field=field)
    with _attempt_ledger(session) as ledger:
        attempt, seconds = count_attempt(ledger, cashier.id, policy)
    if attempt is None:
        raise ApiProblem(423, "login-locked",
                         f"Too many wrong PINs: {login} is locked for {seconds} more seconds; try again then "
                         f"or ask a manager.", field=field, title="Login locked", retry_after=seconds)
    try:
        _hasher.verify(cashier.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        raise PinRejected(login, cashier.id, ApiProblem(401, "wrong-pin", "Unknown login or wrong PIN.", field=field),
                          recount=session.bind.dialect.name == "sqlite", locks=attempt >= policy.attempts)
    with _attempt_ledger(session) as ledger:
        ledger.execute(update(Cashier.__table__).where(Cashier.id == cashier.id)
                       .values(failed_pins=0, locked_until=None))
    return cashier


@contextmanager
def _attempt_ledger(session):
    """Where PIN attempts are counted: never in a transaction that a refusal rolls back.

    PostgreSQL: a connection of its own, committed statement by statement, so parallel requests see each
    other's attempts at once.  SQLite has one writer at a time: the request's own transaction holds the
    write lock from its first statement to its end, so the count is kept there, and ``pos.http.run`` counts
    a wrong PIN again after rolling the rest of the request back to its savepoint (PinRejected.recount)."""
    if session.bind.dialect.name == "sqlite":
        yield session.connection()
        return
    with _ledger_engine(session.bind).connect() as connection:
        yield connection


_LEDGER_ENGINES: dict = {}


def _ledger_engine(bind):
    # Not the request's pool: with every pooled connection held by a request waiting to count a PIN,
    # a second connection from the same pool would never come.  Unpooled: one short UPDATE per PIN check.
    engine = _LEDGER_ENGINES.get(bind.engine.url)
    if engine is None:
        engine = _LEDGER_ENGINES[bind.engine.url] = create_engine(bind.engine.url, poolclass=NullPool,
                                                                  isolation_level="AUTOCOMMIT")
    return engine


def count_attempt(connection, cashier_id, policy: PinPolicy) -> tuple[int | None, int | None]:
    """Count one PIN attempt unless the login is locked; the attempt that reaches the limit locks it
    (a right PIN then unlocks it again).  Returns (this attempt's number, None) or (None, seconds locked)."""
    table = Cashier.__table__
    now = utcnow()
    lock_over = table.c.locked_until.is_not(None)  # only an expired lock passes the WHERE below
    attempts = case((lock_over, 1), else_=table.c.failed_pins + 1)
    counted = connection.execute(
        update(table).where(table.c.id == cashier_id,
                            or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
        .values(failed_pins=attempts,
                locked_until=case((attempts >= policy.attempts, now + dt.timedelta(seconds=policy.lock_seconds)),
                                  else_=None))
        .returning(table.c.failed_pins)).scalar()
    if counted is not None:
        return counted, None
    locked_until = _aware(connection.scalar(select(table.c.locked_until).where(table.c.id == cashier_id)))
    return None, max(1, int((locked_until - now).total_seconds()) + 1) if locked_until else 1


class PinRejected(Exception):
    """A wrong PIN: nothing of the request is written except the attempt."""

    def __init__(self, login: str, cashier_id, problem: ApiProblem, recount: bool = False, locks: bool = False):
        super().__init__(problem.detail)
        self.login = login
        self.cashier_id = cashier_id
        self.problem = problem
        self.recount = recount
        self.locks = locks


def register_pin_failure(session, rejected: PinRejected, policy: PinPolicy) -> None:
    """After the request rolled back to its savepoint: keep the wrong attempt (SQLite) and audit a lock."""
    if rejected.recount:
        count_attempt(session.connection(), rejected.cashier_id, policy)
    if rejected.locks:
        session.add(AuditEntry(action="login_locked", cashier_id=rejected.cashier_id, subject=rejected.login,
                               details={"attempts": policy.attempts, "seconds": policy.lock_seconds}))


def login(session, login_name: str, pin: str, terminal_code: str, location_code: str,
          policy: PinPolicy, token_hours: int) -> tuple[str, Cashier, Terminal]:
    terminal = session.scalars(
        select(Terminal).join(Location, Terminal.location_id == Location.id)
        .where(Terminal.code == terminal_code, Location.code == location_code)).one_or_none()
    if terminal is None:
        raise ApiProblem(422, "unknown-terminal", f"terminal: no terminal {terminal_code!r} at this store",
                         field="terminal")
    cashier = check_pin(session, login_name, pin, policy)
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(token_hash=_token_hash(token), cashier_id=cashier.id, terminal_id=terminal.id,
                          expires_at=utcnow() + dt.timedelta(hours=token_hours)))
    return token, cashier, terminal


def logout(session, token: str) -> None:
    row = session.get(AuthToken, _token_hash(token))
    if row is not None:
        row.revoked = True


# Built once: every request of the till asks it.
_AUTHENTICATE = (select(AuthToken, Cashier, Terminal, Location)
                 .join(Cashier, AuthToken.cashier_id == Cashier.id)
                 .join(Terminal, AuthToken.terminal_id == Terminal.id)
                 .join(Location, Terminal.location_id == Location.id)
                 .where(AuthToken.token_hash == bindparam("token_hash")))


def authenticate(session, token: str):
    """The (cashier, terminal, location) a bearer token stands for, or None."""
    row = session.execute(_AUTHENTICATE, {"token_hash": _token_hash(token)}).one_or_none()
    if row is None:
        return None
    auth, cashier, terminal, location = row
    if auth.revoked or _aware(auth.expires_at) < utcnow() or not cashier.active:
        return None
    return cashier, terminal, location


def approve(session, approval, policy: PinPolicy, *, action: str, cashier, terminal, subject: str,
            details: dict) -> Cashier:
    """A manager-only action: check the manager's PIN and write the audit entry."""
    if approval is None:
        raise ApiProblem(403, "manager-approval-required",
                         f"approval: {action.replace('_', ' ')} needs a manager's login and PIN",
                         field="approval", title="Manager approval required")
    manager = check_pin(session, approval.login, approval.pin, policy, field="approval.pin")
    if manager.role != "manager":
        raise ApiProblem(403, "not-a-manager", f"approval.login: {approval.login} is not a manager",
                         field="approval.login")
    session.add(AuditEntry(action=action, manager_id=manager.id, cashier_id=cashier.id if cashier else None,
                           terminal_id=terminal.id if terminal else None, subject=subject, details=details))
    return manager


def save_cashier(session, login_name: str, name: str, role: str, pin: str) -> tuple[Cashier, bool]:
    """Add a cashier or change one's name, role and PIN (kept only as an argon2 hash); (cashier, created)."""
    cashier = session.scalars(select(Cashier).where(Cashier.login == login_name)).one_or_none()
    created = cashier is None
    if created:
        cashier = Cashier(login=login_name, name=name, role=role, pin_hash=hash_pin(pin), failed_pins=0)
        session.add(cashier)
    else:
        cashier.name, cashier.role, cashier.pin_hash = name, role, hash_pin(pin)
        cashier.failed_pins, cashier.locked_until = 0, None
    session.flush()
    return cashier, created


def reset_pin(session, cashier: Cashier, pin: str) -> Cashier:
    """A new PIN (4 to 12 digits, kept only as an argon2 hash); the login's wrong attempts and lock go with the old."""
    if not (pin.isdigit() and 4 <= len(pin) <= 12):
        raise ApiProblem(422, "invalid-pin", "pin: 4 to 12 digits", field="pin")
    cashier.pin_hash, cashier.failed_pins, cashier.locked_until = hash_pin(pin), 0, None
    session.flush()
    return cashier


def unlock(session, cashier: Cashier) -> bool:
    """Lift a PIN lock before it runs out; whether there was one."""
    was_locked = cashier.locked_until is not None and _aware(cashier.locked_until) > utcnow()
    cashier.failed_pins, cashier.locked_until = 0, None
    session.flush()
    return was_locked


def is_locked(cashier: Cashier) -> bool:
    return cashier.locked_until is not None and _aware(cashier.locked_until) > utcnow()
