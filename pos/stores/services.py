"""The node's own store and its terminals, created from configuration."""
from __future__ import annotations

from sqlalchemy import select

from pos.countries import country as country_rules
from pos.stores.models import Location, Terminal


def ensure_store(session, config: dict) -> Location:
    location = session.scalars(select(Location).where(Location.code == config["POS_STORE_CODE"])).one_or_none()
    if location is None:
        rules = country_rules(config["POS_COUNTRY"])
        location = Location(code=config["POS_STORE_CODE"], name=config["POS_STORE_NAME"], kind="store",
                            country=rules.code, currency=rules.currency, address=config["POS_STORE_ADDRESS"],
                            tax_id=config["POS_STORE_TAX_ID"])
        session.add(location)
        session.flush()
    return location


def ensure_terminal(session, location: Location, code: str, **devices) -> Terminal:
    terminal = session.scalars(select(Terminal).where(Terminal.location_id == location.id,
                                                      Terminal.code == code)).one_or_none()
    if terminal is None:
        terminal = Terminal(location_id=location.id, code=code,
                            language=country_rules(location.country).language, **devices)
        session.add(terminal)
        session.flush()
    return terminal
