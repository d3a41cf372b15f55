"""Signing in and out of the back office, and who may see which page.

A manager signs in with their login and PIN (argon2, with the API's lockout); a cashier may sign in too
and sees only what a cashier may (stock).  The session cookie keeps the person's id and a mark of their
PIN hash; each request checks the person is still active, still in that role and has the same PIN."""
from __future__ import annotations

import functools

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select

from pos.http import database, settings
from pos.office.web import bp
from pos.office.work import Refused, change, pin_mark
from pos.staff.models import AuditEntry, Cashier
from pos.staff.services import check_pin

MANAGER, CASHIER = "manager", "cashier"


def signed_in() -> Cashier | None:
    staff_id = session.get("staff_id")
    if not staff_id:
        return None
    with database().unit_of_work(read_only=True) as uow:
        person = uow.session.scalars(select(Cashier).where(Cashier.login == session.get("login"))).one_or_none()
    if person is None or str(person.id) != staff_id or not person.active \
            or session.get("pin_mark") != pin_mark(person.pin_hash):
        session.clear()
        return None
    return person


def page(*roles: str, nodes: tuple[str, ...] = ("hq", "standalone", "store")):
    """A page for these roles (default: managers) on these kinds of node."""
    roles = roles or (MANAGER,)

    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            from flask import current_app

            if current_app.config["POS_ROLE"] not in nodes:
                abort(404)
            person = signed_in()
            if person is None:
                return redirect(url_for("office.sign_in", next=request.full_path.rstrip("?")))
            g.staff = person
            if person.role not in roles:
                return render_template("office/error.html",
                                       message=gettext("This page is for managers. Ask a manager to do this, "
                                                       "or sign in with a manager's login.")), 403
            return view(*args, **kwargs)
        return guarded
    return decorate


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/office/") and not target.startswith("//"):
        return target
    return url_for("office.home")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    error = None
    login = request.form.get("login", "").strip()[:64]
    if request.method == "POST":
        pin = request.form.get("pin", "")[:32]
        if not login or not pin:
            error = gettext("Type your login and PIN.")
        else:
            def work(db_session):
                person = check_pin(db_session, login, pin, settings().pin_policy)
                db_session.add(AuditEntry(action="office_signed_in", cashier_id=person.id, subject=person.login,
                                          details={"address": request.remote_addr or ""}))
                return person
            try:
                person = change(work)
            except Refused as refused:
                error = refused.message
            else:
                session.clear()  # a new session for a new sign-in: nothing carried over from before
                session.permanent = True
                session.update(staff_id=str(person.id), login=person.login, pin_mark=pin_mark(person.pin_hash))
                return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("office/sign_in.html", error=error, login=login), status


@bp.post("/sign-out")
def sign_out():
    session.clear()
    return redirect(url_for("office.sign_in"))


@bp.get("/")
@page(MANAGER, CASHIER)
def home():
    if g.staff.role == MANAGER:
        return redirect(url_for("office.stores"))
    return redirect(url_for("office.stock_levels"))
