"""Stock in the back office: levels by location (on hand, held, promised, available) and the ledger."""
from __future__ import annotations

import datetime as dt

from flask import current_app, render_template, request
from sqlalchemy import or_, select

from pos.catalogue.models import Product
from pos.http import database
from pos.office.paging import day_arg, like, paged, search_text
from pos.office.session import CASHIER, MANAGER, page
from pos.office.web import bp
from pos.stock.models import StockLevel, StockMovement
from pos.stores.models import Location
from pos.text import search_key

REASONS = ("sale", "return", "receipt", "transfer_out", "transfer_in", "count", "damage")


def _locations(session) -> list[Location]:
    statement = select(Location).order_by(Location.code)
    if current_app.config["POS_ROLE"] == "store":  # a store shows its own part
        statement = statement.where(Location.code == current_app.config["POS_STORE_CODE"])
    return list(session.scalars(statement))


def _chosen(locations: list[Location]) -> Location | None:
    code = request.args.get("location", "")
    return next((location for location in locations if location.code == code), None)


def _product_filter(statement, query: str):
    if not query:
        return statement
    return statement.where(or_(Product.sku.ilike(like(query)), Product.search_name.like(like(search_key(query)))))


@bp.get("/stock")
@page(MANAGER, CASHIER)
def stock_levels():
    query = search_text()
    with database().unit_of_work(read_only=True) as uow:
        locations = _locations(uow.session)
        chosen = _chosen(locations)
        statement = (select(Location.code, Product.sku, Product.name, Product.unit, StockLevel)
                     .join(Location, Location.id == StockLevel.location_id)
                     .join(Product, Product.id == StockLevel.product_id)
                     .where(StockLevel.location_id.in_([location.id for location in locations])))
        if chosen is not None:
            statement = statement.where(StockLevel.location_id == chosen.id)
        listed = paged(uow.session, _product_filter(statement, query).order_by(Location.code, Product.sku))
    rows = []
    for code, sku, name, unit, level in listed.items:
        held = level.reserved + level.hq_held  # web and marketplace reservations here, HQ's holds at a store
        rows.append({"location": code, "sku": sku, "name": name, "unit": unit, "on_hand": level.on_hand,
                     "held": held, "promised": level.committed,
                     "available": max(0, level.on_hand - held - level.committed)})
    return render_template("office/stock_levels.html", rows=rows, listed=listed, locations=locations,
                           chosen=chosen, query=query)



@bp.get("/stock/movements")
@page(MANAGER, CASHIER)
def stock_movements():
    query = search_text()
    reason = request.args.get("reason", "")
    first, last = day_arg("from"), day_arg("to")
    with database().unit_of_work(read_only=True) as uow:
        locations = _locations(uow.session)
        chosen = _chosen(locations)
        statement = (select(StockMovement, Location.code, Product.sku, Product.name, Product.unit)
                     .join(Location, Location.id == StockMovement.location_id)
                     .join(Product, Product.id == StockMovement.product_id)
                     .where(StockMovement.location_id.in_([location.id for location in locations])))
        if chosen is not None:
            statement = statement.where(StockMovement.location_id == chosen.id)
        if reason in REASONS:
            statement = statement.where(StockMovement.reason == reason)
        if first is not None:
            statement = statement.where(StockMovement.created_at >= dt.datetime.combine(first, dt.time(),
                                                                                       dt.timezone.utc))
        if last is not None:
            statement = statement.where(StockMovement.created_at < dt.datetime.combine(
                last + dt.timedelta(days=1), dt.time(), dt.timezone.utc))
        listed = paged(uow.session, _product_filter(statement, query)
                       .order_by(StockMovement.created_at.desc(), StockMovement.id.desc()))
    return render_template("office/stock_movements.html", listed=listed, locations=locations, chosen=chosen,
                           query=query, reason=reason, reasons=REASONS, first=first, last=last)
