"""Sales in the back office: totals by day, store, terminal, cashier or VAT group over a date range, drawn as
bars in SVG by the server, and the same figures as CSV (money in integer minor units there)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Response, render_template, request
from sqlalchemy import func, select

from pos.http import database, settings
from pos.office.paging import day_arg
from pos.office.session import MANAGER, page
from pos.office.web import bp
from pos.sales.models import Sale, SaleVat
from pos.staff.models import Cashier
from pos.stores.models import Location, Terminal

GROUPINGS = ("day", "store", "terminal", "cashier", "vat")
DEFAULT_DAYS = 7
LONGEST_RANGE = 366  # a year at most in one page: the day grouping reads each sale's moment


@dataclass
class Figure:
    key: str  # what the row is (an ISO day, a store code, ...), the CSV's first column
    label: str
    currency: str
    sales: int
    total: int  # minor units
    vat: int | None = None  # only for the VAT grouping: the VAT inside ``total``


def _range(zone: ZoneInfo) -> tuple[dt.date, dt.date]:
    today = dt.datetime.now(zone).date()
    last = day_arg("to") or today
    first = day_arg("from") or last - dt.timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    return max(first, last - dt.timedelta(days=LONGEST_RANGE - 1)), last


def _bounds(first: dt.date, last: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The shop's days as UTC moments: a sale at 23:30 local belongs to the day the receipt says."""
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.timezone.utc)
    return start, end


def figures(session, grouping: str, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[Figure]:
    in_range = (Sale.created_at >= start, Sale.created_at < end)
    if grouping == "vat":
        rows = session.execute(
            select(SaleVat.vat_group, SaleVat.vat_rate_bp, Sale.currency, func.count(Sale.id),
                   func.sum(SaleVat.gross), func.sum(SaleVat.vat))
            .join(Sale, Sale.id == SaleVat.sale_id).where(*in_range)
            .group_by(SaleVat.vat_group, SaleVat.vat_rate_bp, Sale.currency)
            .order_by(Sale.currency, SaleVat.vat_group, SaleVat.vat_rate_bp))
        return [Figure(group if rate is None else f"{group} {rate / 100:g}%",
                       group if rate is None else f"{group} · {rate / 100:g} %", currency, count, int(gross),
                       int(vat)) for group, rate, currency, count, gross, vat in rows]
    if grouping == "day":
        # Summed here rather than in SQL: a day in the shop's zone is written differently by each database.
        totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for moment, currency, total in session.execute(
                select(Sale.created_at, Sale.currency, Sale.total).where(*in_range)):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
            figure = totals[(moment.astimezone(zone).date().isoformat(), currency)]
            figure[0] += 1
            figure[1] += total
        return [Figure(day, day, currency, count, total)
                for (day, currency), (count, total) in sorted(totals.items())]
    columns = {"store": (Location.code, Location.name),
               "terminal": (Location.code, Terminal.code),
               "cashier": (Cashier.login, Cashier.name)}[grouping]
    statement = (select(*columns, Sale.currency, func.count(Sale.id), func.sum(Sale.total))
                 .join(Location, Location.id == Sale.location_id).where(*in_range))
    if grouping == "terminal":
        statement = statement.join(Terminal, Terminal.id == Sale.terminal_id)
    if grouping == "cashier":
        statement = statement.join(Cashier, Cashier.id == Sale.cashier_id)
    rows = session.execute(statement.group_by(*columns, Sale.currency).order_by(Sale.currency, *columns))
    return [Figure(f"{first}/{second}" if grouping == "terminal" else first, f"{first} · {second}", currency,
                   count, int(total)) for first, second, currency, count, total in rows]


def _chosen() -> tuple[str, dt.date, dt.date, list[Figure]]:
    grouping = request.args.get("by", "day")
    grouping = grouping if grouping in GROUPINGS else "day"
    zone = ZoneInfo(settings().country.timezone)
    first, last = _range(zone)
    with database().unit_of_work(read_only=True) as uow:
        found = figures(uow.session, grouping, *_bounds(first, last, zone), zone)
    return grouping, first, last, found


def bars(found: list[Figure]) -> list[dict]:
    """Each figure's bar as a share of the largest in its currency (amounts in two currencies never share a
    scale)."""
    largest: dict[str, int] = defaultdict(int)
    for figure in found:
        largest[figure.currency] = max(largest[figure.currency], figure.total)
    return [{"figure": figure, "share": figure.total / largest[figure.currency] if largest[figure.currency] > 0
             else 0} for figure in found]


@bp.get("/sales")
@page(MANAGER)
def sales():
    grouping, first, last, found = _chosen()
    return render_template("office/sales.html", grouping=grouping, groupings=GROUPINGS, first=first, last=last,
                           bars=bars(found), found=found)


@bp.get("/sales.csv")
@page(MANAGER)
def sales_csv():
    grouping, first, last, found = _chosen()
    out = io.StringIO()
    writer = csv.writer(out)
    # Money in integer minor units (grosz, haléř, kopiyka) with its currency beside it, as the API gives it.
    writer.writerow([grouping, "currency", "sales", "total_minor_units"]
                    + (["vat_minor_units"] if grouping == "vat" else []))
    for figure in found:
        writer.writerow([figure.key, figure.currency, figure.sales, figure.total]
                        + ([figure.vat] if grouping == "vat" else []))
    name = f"sales-{grouping}-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
