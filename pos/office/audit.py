"""The audit log in the back office: who approved or changed what, when, newest first."""
from __future__ import annotations

import datetime as dt

from flask import render_template
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from pos.http import database
from pos.office.paging import day_arg, like, paged, search_text
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.staff.models import AuditEntry, Cashier



@bp.get("/audit")
@page(MANAGER)
def audit_log():
    query = search_text()
    action = search_text("action", 64)
    first, last = day_arg("from"), day_arg("to")
    manager, cashier = aliased(Cashier), aliased(Cashier)
    with database().unit_of_work(read_only=True) as uow:
        statement = (select(AuditEntry, manager.name, cashier.name)
                     .outerjoin(manager, manager.id == AuditEntry.manager_id)
                     .outerjoin(cashier, cashier.id == AuditEntry.cashier_id))
        if action:
            statement = statement.where(AuditEntry.action == action)
        if query:
            pattern = like(query)
            statement = statement.where(or_(AuditEntry.subject.ilike(pattern), manager.name.ilike(pattern),
                                            manager.login.ilike(pattern), cashier.name.ilike(pattern),
                                            cashier.login.ilike(pattern)))
        if first is not None:
            statement = statement.where(AuditEntry.at >= dt.datetime.combine(first, dt.time(), dt.timezone.utc))
        if last is not None:
            statement = statement.where(AuditEntry.at < dt.datetime.combine(last + dt.timedelta(days=1), dt.time(),
                                                                            dt.timezone.utc))
        listed = paged(uow.session, statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()))
        actions = list(uow.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
    return render_template("office/audit.html", listed=listed, query=query, action=action, actions=actions,
                           first=first, last=last)
