"""Staff in the back office: cashiers and managers, PIN reset and unlock (confirmed by the manager's PIN)."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import or_, select

from pos.http import database
from pos.office.paging import like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed, pin_mark
from pos.staff.models import Cashier
from pos.staff.services import is_locked, reset_pin, unlock

ROLES = ("cashier", "manager")


@bp.get("/staff")
@page(MANAGER)
def staff_list():
    query = search_text()
    role = request.args.get("role", "")
    with database().unit_of_work(read_only=True) as uow:
        statement = select(Cashier)
        if role in ROLES:
            statement = statement.where(Cashier.role == role)
        if query:
            statement = statement.where(or_(Cashier.login.ilike(like(query)), Cashier.name.ilike(like(query))))
        listed = paged(uow.session, statement.order_by(Cashier.name, Cashier.login), scalars=True)
    return render_template("office/staff_list.html", listed=listed, query=query, role=role, roles=ROLES,
                           locked=is_locked)


def _person(db_session, staff_id) -> Cashier:
    person = db_session.get(Cashier, staff_id)
    if person is None:
        abort(404)
    return person


@bp.get("/staff/<uuid:staff_id>")
@page(MANAGER)
def staff_item(staff_id, error: str | None = None, status: int = 200):
    with database().unit_of_work(read_only=True) as uow:
        person = _person(uow.session, staff_id)
    return render_template("office/staff_item.html", person=person, locked=is_locked(person), error=error), status


def _publish(db_session, person) -> None:
    if current_app.config["POS_ROLE"] == "hq":  # every store learns the new PIN hash, as `flask staff add` does
        from pos.stores.publish import publish_cashier
        publish_cashier(db_session, person)


@bp.post("/staff/<uuid:staff_id>/pin")
@page(MANAGER)
def staff_reset_pin(staff_id):
    new_pin, repeated = request.form.get("new_pin", ""), request.form.get("new_pin_again", "")
    if new_pin != repeated:
        return staff_item.__wrapped__(staff_id, error=gettext("The two new PINs differ: type the same PIN twice."),
                                      status=422)
    if not (new_pin.isdigit() and 4 <= len(new_pin) <= 12):
        return staff_item.__wrapped__(staff_id, error=gettext("The new PIN must be 4 to 12 digits."), status=422)

    def work(db_session):
        person = _person(db_session, staff_id)
        confirmed(db_session, request.form.get("pin", ""), action="pin_reset", subject=person.login,
                  details={"via": "office"}, cashier=person)
        reset_pin(db_session, person, new_pin)
        _publish(db_session, person)
        return person
    try:
        person = change(work)
    except Refused as refused:
        return staff_item.__wrapped__(staff_id, error=refused.message, status=422)
    if person.id == g.staff.id:  # one's own new PIN: this session stays signed in
        session["pin_mark"] = pin_mark(person.pin_hash)
    flash(gettext("%(name)s has a new PIN. Tell it to them in person.", name=person.name))
    return redirect(url_for("office.staff_item", staff_id=staff_id))


@bp.post("/staff/<uuid:staff_id>/unlock")
@page(MANAGER)
def staff_unlock(staff_id):
    def work(db_session):
        person = _person(db_session, staff_id)
        confirmed(db_session, request.form.get("pin", ""), action="login_unlocked", subject=person.login,
                  details={"via": "office"}, cashier=person)
        return person, unlock(db_session, person)
    try:
        person, was_locked = change(work)
    except Refused as refused:
        return staff_item.__wrapped__(staff_id, error=refused.message, status=422)
    if was_locked:
        flash(gettext("%(name)s is unlocked and may sign in again.", name=person.name))
    else:
        flash(gettext("%(name)s was not locked; the count of wrong PINs is cleared.", name=person.name))
    return redirect(url_for("office.staff_item", staff_id=staff_id))
