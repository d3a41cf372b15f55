"""A serial scanner's codes go into its till's open basket, and the cashier's page hears of it
(server-sent events).  Keyboard-wedge scanners type into the page and need none of this."""
from __future__ import annotations

import logging

from sqlalchemy import select

from pos.db import utcnow
from pos.problems import ApiProblem
from pos.sales import baskets
from pos.sales.models import Basket
from pos.staff.models import AuthToken, Cashier
from pos.stores.models import Location, Terminal
from pos.till import Till

log = logging.getLogger("pos.devices.scanner")


def _till(session, terminal_code: str, hub) -> Till | None:
    """Whoever is logged in on the till now (its newest live token)."""
    row = session.execute(
        select(Cashier, Terminal, Location).join(AuthToken, AuthToken.cashier_id == Cashier.id)
        .join(Terminal, Terminal.id == AuthToken.terminal_id).join(Location, Location.id == Terminal.location_id)
        .where(Terminal.code == terminal_code, Location.code == hub.store_code, AuthToken.revoked.is_(False),
               AuthToken.expires_at > utcnow())
        .order_by(AuthToken.issued_at.desc()).limit(1)).first()
    return Till(*row, hub.settings) if row else None


def add_scan(hub, terminal_code: str, code: str) -> dict:
    """Add one scanned code to the till's open basket (a new one if none is open); publish the outcome."""
    from pos.devices.services import show_item_and_total, show_on_display

    try:
        with hub.db.unit_of_work(durable=False) as uow:
            session = uow.session
            till = _till(session, terminal_code, hub)
            if till is None:
                raise ApiProblem(409, "nobody-logged-in", "terminal: log in before scanning", field="terminal")
            basket_id = session.scalar(select(Basket.id).where(Basket.terminal_id == till.terminal.id,
                                                               Basket.status == "open")
                                       .order_by(Basket.updated_at.desc()).limit(1))
            if basket_id is None:
                basket_id = baskets.new_basket(session, till).id
            basket = baskets.basket_json(baskets.add_line(session, till, basket_id, code=code), till.vat_rates)
            uow.commit()
    except ApiProblem as problem:
        event = {"code": code, "problem": problem.to_dict()}
        hub.events.publish(terminal_code, "scan_refused", event)
        return event
    except Exception:
        log.exception("scan %r on %s failed", code, terminal_code)
        event = {"code": code, "problem": {"status": 500, "detail": "the scan could not be added"}}
        hub.events.publish(terminal_code, "scan_refused", event)
        return event
    event = {"code": code, "basket": basket}
    hub.events.publish(terminal_code, "scan", event)
    station = hub.stations.get(terminal_code)
    if station is not None:
        show_on_display(station, lambda display: show_item_and_total(display, basket))
    return event
