"""The loyalty programme in the back office (HQ and standalone): earning rate, what a point pays, product
group multipliers and tiers; a change is confirmed with the manager's PIN and written to the audit log."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from pos.http import database
from pos.loyalty import services
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed

NODES = ("hq", "standalone")


def _rules_text(found: dict | None) -> tuple[str, str]:
    if not found:
        return "", ""
    groups = "\n".join(f"{name}:{bp_}" for name, bp_ in sorted(found["group_multipliers"].items()))
    tiers = "\n".join(f"{t['name']}:{t['threshold']}:{t['multiplier_bp']}" for t in found["tiers"])
    return groups, tiers


@bp.get("/loyalty")
@page(MANAGER, nodes=NODES)
def loyalty_programme(error: str | None = None, status: int = 200, form=None):
    with database().unit_of_work(read_only=True) as uow:
        found = services.programme_json(services.programme(uow.session))
    groups, tiers = _rules_text(found)
    values = form or {**(found or {"name": "", "active": True, "points_per_unit": 1, "point_value": 1,
                                   "rolling_days": 365}), "groups": groups, "tiers": tiers}
    return render_template("office/loyalty.html", programme=found, values=values, error=error), status


def _number(text: str, field: str):
    text = (text or "").strip()
    if not text.lstrip("-").isdigit():
        raise Refused(gettext("%(field)s: type a whole number.", field=field))
    return int(text)


def _parsed(form) -> dict:
    groups, tiers = {}, []
    for line in (form.get("groups") or "").splitlines():
        if line.strip():
            name, _, number = line.strip().rpartition(":")
            groups[name.strip()] = _number(number, gettext("Product group multipliers"))
    for line in (form.get("tiers") or "").splitlines():
        if line.strip():
            parts = line.strip().rsplit(":", 2)
            if len(parts) != 3:
                raise Refused(gettext("Tiers: write one per line as NAME:THRESHOLD:BASIS_POINTS."))
            tiers.append({"name": parts[0].strip(), "threshold": _number(parts[1], gettext("Tiers")),
                          "multiplier_bp": _number(parts[2], gettext("Tiers"))})
    return {"name": form.get("name", ""), "active": form.get("active") == "on",
            "points_per_unit": _number(form.get("points_per_unit"), gettext("Points per currency unit")),
            "point_value": _number(form.get("point_value"), gettext("A point pays (minor units)")),
            "rolling_days": _number(form.get("rolling_days"), gettext("Tier period (days)")),
            "group_multipliers": groups, "tiers": tiers}


@bp.post("/loyalty")
@page(MANAGER, nodes=NODES)
def loyalty_programme_save():
    form = {key: request.form.get(key, "") for key in ("name", "points_per_unit", "point_value", "rolling_days",
                                                      "groups", "tiers")}
    form["active"] = request.form.get("active") == "on"

    def work(db_session):
        values = _parsed(request.form)
        if not request.form.get("pin"):
            raise Refused(gettext("Type your PIN to confirm this change."))
        try:
            _, changed = services.configure(db_session, values)
        except services.LoyaltyError as error:
            raise Refused(gettext("Refused: %(detail)s. Nothing was changed.", detail=str(error))) from None
        # in the same transaction: a wrong PIN undoes the change, a right one audits it
        confirmed(db_session, request.form.get("pin", ""), action="loyalty_programme", subject="loyalty programme",
                  details={"via": "office", "changed": changed})
    try:
        change(work)
    except Refused as refused:
        return loyalty_programme.__wrapped__(error=refused.message, status=422, form=form)
    flash(gettext("The loyalty programme is saved."))
    return redirect(url_for("office.loyalty_programme"))
