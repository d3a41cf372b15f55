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
from pos.returns.models import Return, ReturnLine
from pos.sales.models import Sale, SaleLine, SaleVat
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
    sales: int = 0
    total: int = 0  # minor units, as rung up
    vat: int | None = None  # only for the VAT grouping: the VAT inside ``total``
    returns: int = 0
    returned: int = 0  # minor units given back in these days (whenever the sale was)

    @property
    def net(self) -> int:
        return self.total - self.returned


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


def _vat_label(group: str, rate: int | None) -> tuple[str, str]:
    return (group, group) if rate is None else (f"{group} {rate / 100:g}%", f"{group} · {rate / 100:g} %")


def _grouped(session, model, grouping: str, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[tuple]:
    """(key, label, currency, how many, amount[, vat]) of sales or returns (``model``) in the range."""
    in_range = (model.created_at >= start, model.created_at < end)
    if grouping == "vat" and model is Sale:
        rows = session.execute(
            select(SaleVat.vat_group, SaleVat.vat_rate_bp, Sale.currency, func.count(Sale.id),
                   func.sum(SaleVat.gross), func.sum(SaleVat.vat))
            .join(Sale, Sale.id == SaleVat.sale_id).where(*in_range)
            .group_by(SaleVat.vat_group, SaleVat.vat_rate_bp, Sale.currency))
        return [(*_vat_label(group, rate), currency, count, int(gross), int(vat))
                for group, rate, currency, count, gross, vat in rows]
    if grouping == "vat":
        rows = session.execute(
            select(SaleLine.vat_group, SaleLine.vat_rate_bp, Return.currency, func.count(func.distinct(Return.id)),
                   func.sum(ReturnLine.amount))
            .join(ReturnLine, ReturnLine.return_id == Return.id).join(SaleLine, SaleLine.id == ReturnLine.sale_line_id)
            .where(*in_range).group_by(SaleLine.vat_group, SaleLine.vat_rate_bp, Return.currency))
        return [(*_vat_label(group, rate), currency, count, int(amount)) for group, rate, currency, count, amount in rows]
    if grouping == "day":
        # Summed here rather than in SQL: a day in the shop's zone is written differently by each database.
        totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for moment, currency, total in session.execute(
                select(model.created_at, model.currency, model.total).where(*in_range)):
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
            figure = totals[(moment.astimezone(zone).date().isoformat(), currency)]
            figure[0] += 1
            figure[1] += total
        return [(day, day, currency, count, total) for (day, currency), (count, total) in totals.items()]
    columns = {"store": (Location.code, Location.name),
               "terminal": (Location.code, Terminal.code),
               "cashier": (Cashier.login, Cashier.name)}[grouping]
    statement = (select(*columns, model.currency, func.count(model.id), func.sum(model.total))
                 .join(Location, Location.id == model.location_id).where(*in_range))
    if grouping == "terminal":
        statement = statement.join(Terminal, Terminal.id == model.terminal_id)
    if grouping == "cashier":
        statement = statement.join(Cashier, Cashier.id == model.cashier_id)
    return [(f"{first}/{second}" if grouping == "terminal" else first, f"{first} · {second}", currency, count,
             int(total)) for first, second, currency, count, total in
            session.execute(statement.group_by(*columns, model.currency))]


def figures(session, grouping: str, start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[Figure]:
    """Sales and the returns made in the same days, side by side, per currency."""
    found: dict[tuple[str, str], Figure] = {}
    for key, label, currency, count, total, *vat in _grouped(session, Sale, grouping, start, end, zone):
        found[(currency, key)] = Figure(key, label, currency, count, total, vat[0] if vat else None)
    for key, label, currency, count, amount in _grouped(session, Return, grouping, start, end, zone):
        figure = found.setdefault((currency, key), Figure(key, label, currency,
                                                          vat=0 if grouping == "vat" else None))
        figure.returns, figure.returned = count, amount
    return [found[key] for key in sorted(found)]


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


def _table(grouping: str, found: list[Figure]) -> tuple[list[str], list[list]]:
    """The export's columns and rows: money in integer minor units (grosz, haléř, kopiyka) with its currency
    beside it, as the API gives it, so a spreadsheet's sums are exact."""
    header = ([grouping, "currency", "sales", "total_minor_units"] + (["vat_minor_units"] if grouping == "vat" else [])
              + ["returns", "returned_minor_units", "net_minor_units"])
    rows = [[figure.key, figure.currency, figure.sales, figure.total] + ([figure.vat] if grouping == "vat" else [])
            + [figure.returns, figure.returned, figure.net] for figure in found]
    return header, rows


def _download(body, mimetype: str, grouping: str, first: dt.date, last: dt.date, extension: str) -> Response:
    name = f"sales-{grouping}-{first.isoformat()}-{last.isoformat()}.{extension}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/sales.csv")
@page(MANAGER)
def sales_csv():
    grouping, first, last, found = _chosen()
    header, rows = _table(grouping, found)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return _download(out.getvalue(), "text/csv", grouping, first, last, "csv")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/sales.xlsx")
@page(MANAGER)
def sales_xlsx():
    """The same table as the CSV, as a workbook: numbers stay numbers, days are dates, columns are wide enough."""
    from openpyxl import Workbook  # only the export needs it
    from openpyxl.styles import Font

    grouping, first, last, found = _chosen()
    header, rows = _table(grouping, found)
    book = Workbook()
    sheet = book.active
    sheet.title = f"{first.isoformat()}..{last.isoformat()}"[:31]
    sheet.append(header)
    for row in rows:
        sheet.append([dt.date.fromisoformat(row[0]) if grouping == "day" else row[0], *row[1:]])
    for column in sheet.columns:
        column[0].font = Font(bold=True)
        sheet.column_dimensions[column[0].column_letter].width = max(12, len(str(column[0].value)) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return _download(out.getvalue(), XLSX, grouping, first, last, "xlsx")
