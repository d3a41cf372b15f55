"""Cashiers: PINs (argon2), login tokens, manager approvals and the audit log."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

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
    """Verify a PIN.  A wrong one raises PinRejected: the caller rolls back the whole
    business transaction, then counts the failure with :func:`register_pin_failure`."""
    cashier = session.scalars(select(Cashier).where(Cashier.login == login, Cashier.active)).one_or_none()
    if cashier is None:
        raise ApiProblem(401, "wrong-pin", "Unknown login or wrong PIN.", field=field)
    now = utcnow()
    locked_until = _aware(cashier.locked_until)
    if locked_until and locked_until > now:
        seconds = int((locked_until - now).total_seconds()) + 1
        raise ApiProblem(423, "login-locked",
                         f"Too many wrong PINs: {login} is locked for {seconds} more seconds.",
                         field=field, retry_after=seconds)
    try:
        _hasher.verify(cashier.pin_hash, pin)
    except (VerificationError, InvalidHashError):
        raise PinRejected(login, ApiProblem(401, "wrong-pin", "Unknown login or wrong PIN.", field=field))
    if cashier.failed_pins or cashier.locked_until:
        cashier.failed_pins = 0
        cashier.locked_until = None
    return cashier


class PinRejected(Exception):
    """A wrong PIN: nothing of the request is written except the failure count."""

    def __init__(self, login: str, problem: ApiProblem):
        super().__init__(problem.detail)
        self.login = login
        self.problem = problem


def register_pin_failure(session, login: str, policy: PinPolicy) -> None:
    """Five wrong PINs lock the login for a while (both settings configurable)."""
    cashier = session.scalars(select(Cashier).where(Cashier.login == login)).one_or_none()
    if cashier is None:
        return
    cashier.failed_pins += 1
    if cashier.failed_pins >= policy.attempts:
        cashier.locked_until = utcnow() + dt.timedelta(seconds=policy.lock_seconds)
        cashier.failed_pins = 0
        session.add(AuditEntry(action="login_locked", cashier_id=cashier.id, subject=login,
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


def authenticate(session, token: str):
    """The (cashier, terminal, location) a bearer token stands for, or None."""
    row = session.execute(
        select(AuthToken, Cashier, Terminal, Location)
        .join(Cashier, AuthToken.cashier_id == Cashier.id)
        .join(Terminal, AuthToken.terminal_id == Terminal.id)
        .join(Location, Terminal.location_id == Location.id)
        .where(AuthToken.token_hash == _token_hash(token))).one_or_none()
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
