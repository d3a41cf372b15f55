"""How an office page writes: one unit of work, the signed-in manager's PIN confirming it (audited), and
refusals turned into a sentence the manager reads in their language."""
from __future__ import annotations

import hashlib
from typing import Callable

from flask import g
from flask_babel import gettext

from pos.http import database, settings
from pos.problems import ApiProblem
from pos.schemas import Approval
from pos.staff.services import PinRejected, approve, register_pin_failure


class Refused(Exception):
    """A change the page could not make; ``message`` is translated and says what to do next."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def pin_mark(pin_hash: str) -> str:
    """A short mark of the PIN's hash kept in the session: a PIN reset signs the person out everywhere."""
    return hashlib.sha256(pin_hash.encode()).hexdigest()[:16]


def change(work: Callable):
    """``work(session)`` in one transaction.  A wrong PIN keeps only its counted attempt (as the API does:
    rolled back to a savepoint on SQLite, counted on its own connection on PostgreSQL)."""
    db = database()
    with db.unit_of_work() as uow:
        savepoint = uow.session.begin_nested() if db.is_sqlite else None
        try:
            result = work(uow.session)
        except PinRejected as rejected:
            if savepoint is not None:
                savepoint.rollback()
            else:
                uow.rollback()
            register_pin_failure(uow.session, rejected, settings().pin_policy)
            uow.commit()
            raise Refused(explain(rejected.problem)) from None
        except ApiProblem as problem:
            raise Refused(explain(problem)) from None
        if savepoint is not None:
            savepoint.commit()
        uow.commit()
    return result


def confirmed(session, pin: str, *, action: str, subject: str, details: dict, cashier=None):
    """The signed-in manager confirms with their PIN; the audit entry is written with the change."""
    if not pin:
        raise Refused(gettext("Type your PIN to confirm this change."))
    return approve(session, Approval(login=g.staff.login, pin=pin[:32]), settings().pin_policy, action=action,
                   cashier=cashier, terminal=None, subject=subject, details=details)


def explain(problem: ApiProblem) -> str:
    if problem.slug == "wrong-pin":
        return gettext("Unknown login or wrong PIN. Check it and try again; nothing was changed.")
    if problem.slug == "login-locked":
        seconds = problem.extra.get("retry_after") or 0
        return gettext("Too many wrong PINs: this login is locked for %(seconds)s s. Try again then, "
                       "or ask another manager to unlock it.", seconds=seconds)
    if problem.slug == "not-a-manager":
        return gettext("Only a manager may do this; nothing was changed.")
    return gettext("Refused: %(detail)s. Nothing was changed.", detail=problem.detail)
