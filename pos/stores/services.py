"""The node's own store and its terminals: created from configuration, or by an operator's commands."""
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


class StoreExists(Exception):
    pass


class UnknownStore(Exception):
    pass


def create_location(session, code: str, name: str, country: str, kind: str = "store", address: str = "",
                    tax_id: str = "") -> Location:
    """A store or warehouse of this node (its currency and language follow the country)."""
    if session.scalar(select(Location.id).where(Location.code == code)) is not None:
        raise StoreExists(code)
    rules = country_rules(country)
    location = Location(code=code, name=name, kind=kind, country=rules.code, currency=rules.currency,
                        address=address, tax_id=tax_id)
    session.add(location)
    session.flush()
    return location


def add_terminal(session, store_code: str, code: str, language: str | None = None, **devices) -> tuple[Terminal, bool]:
    """A till at ``store_code``; (terminal, created).  An existing one is left as it is."""
    location = session.scalars(select(Location).where(Location.code == store_code)).one_or_none()
    if location is None:
        raise UnknownStore(store_code)
    existing = session.scalars(select(Terminal).where(Terminal.location_id == location.id,
                                                      Terminal.code == code)).one_or_none()
    if existing is not None:
        return existing, False
    terminal = ensure_terminal(session, location, code, **devices)
    if language:
        terminal.language = language
    return terminal, True
