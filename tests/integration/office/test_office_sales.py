"""The sales page over HTTP (SQLite and PostgreSQL): totals by day, store, till, cashier and VAT group agree
with the sales made at the till, drawn as SVG bars, and the CSV carries the same figures in minor units."""
from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from pos.sales.models import Sale, SaleVat
from tests.conftest import login
from tests.integration.office.test_office_pages import english, sign_in
from tests.integration.test_returns_and_shifts import BOSS, sell


def shop_today(app) -> dt.date:
    return dt.datetime.now(ZoneInfo(app.extensions["pos.settings"].country.timezone)).date()


def made_sales(app):
    """Two sales by demo on T1 today, one by anna on T2 moved to three days ago (shop time, 23:30)."""
    client = app.test_client()
    demo = login(client)
    demo.post("/api/v1/shifts", json={"opening_float": 0})
    first = sell(demo, [("SKU-000012", 2), ("SKU-000013", 1)])
    second = sell(demo, [("SKU-000014", 1)])
    returned = demo.post("/api/v1/returns", json={"sale_id": first["id"], "approval": BOSS,
                                                 "lines": [{"sale_line_id": first["lines"][0]["id"], "quantity": 1}]})
    assert returned.status_code == 201, returned.get_json()
    first["returned"] = returned.get_json()["total"]
    anna = login(client, "anna", "4321", "T2")
    anna.post("/api/v1/shifts", json={"opening_float": 0})
    third = sell(anna, [("SKU-000015", 3)])
    zone = ZoneInfo(app.extensions["pos.settings"].country.timezone)
    earlier = dt.datetime.combine(shop_today(app) - dt.timedelta(days=3), dt.time(23, 30), zone)
    with app.extensions["pos.db"].unit_of_work() as uow:
        uow.session.execute(update(Sale).where(Sale.id == uuid.UUID(third["id"])).values(
            created_at=earlier.astimezone(dt.timezone.utc)))
        uow.commit()
    return first, second, third


def vat_by_group(app) -> dict[str, tuple[int, int]]:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        totals: dict[str, tuple[int, int]] = {}
        for group, gross, vat in uow.session.execute(select(SaleVat.vat_group, SaleVat.gross, SaleVat.vat)):
            before = totals.get(group, (0, 0))
            totals[group] = (before[0] + gross, before[1] + vat)
        return totals


def csv_rows(client, query: str) -> list[dict]:
    answer = client.get(f"/office/sales.csv?{query}")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))


def test_sales_totals_by_each_grouping_match_the_tills_sales_in_page_chart_and_csv(app):
    first, second, third = made_sales(app)
    client = english(app)
    sign_in(client)
    today, three_ago = shop_today(app), shop_today(app) - dt.timedelta(days=3)
    currency = first["currency"]
    week = f"from={(today - dt.timedelta(days=6)).isoformat()}&to={today.isoformat()}"

    by_day = csv_rows(client, f"by=day&{week}")
    assert [(row["day"], row["currency"], int(row["sales"]), int(row["total_minor_units"])) for row in by_day] == [
        (three_ago.isoformat(), currency, 1, third["total"]),
        (today.isoformat(), currency, 2, first["total"] + second["total"])]
    assert [(int(row["returns"]), int(row["returned_minor_units"]), int(row["net_minor_units"])) for row in by_day] == [
        (0, 0, third["total"]), (1, first["returned"], first["total"] + second["total"] - first["returned"])]
    by_till = {row["terminal"]: int(row["total_minor_units"]) for row in csv_rows(client, f"by=terminal&{week}")}
    assert by_till == {"S1/T1": first["total"] + second["total"], "S1/T2": third["total"]}
    by_cashier = {row["cashier"]: int(row["sales"]) for row in csv_rows(client, f"by=cashier&{week}")}
    assert by_cashier == {"demo": 2, "anna": 1}
    by_store = csv_rows(client, f"by=store&{week}")
    assert [(row["store"], int(row["total_minor_units"])) for row in by_store] == [
        ("S1", first["total"] + second["total"] + third["total"])]
    by_vat = {row["vat"].split()[0]: (int(row["total_minor_units"]), int(row["vat_minor_units"]))
              for row in csv_rows(client, f"by=vat&{week}")}
    assert by_vat == vat_by_group(app)
    returned_by_vat = [int(row["returned_minor_units"]) for row in csv_rows(client, f"by=vat&{week}")]
    assert sum(returned_by_vat) == first["returned"] and sorted(returned_by_vat)[-1] == first["returned"]
    assert {row["cashier"]: int(row["returns"]) for row in csv_rows(client, f"by=cashier&{week}")} == {
        "demo": 1, "anna": 0}

    # only today: the sale three days ago is outside the range
    assert [row["day"] for row in csv_rows(client, f"by=day&from={today}&to={today}")] == [today.isoformat()]

    page = client.get(f"/office/sales?by=terminal&{week}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and html.count("<rect") == 2  # one bar per till, drawn by the server
    from babel.numbers import format_currency
    from decimal import Decimal
    shown = format_currency(Decimal(third["total"]).scaleb(-2), currency, locale="en")
    assert shown in html  # money as the reader's language writes it, not minor units
    assert "sales.csv" in html and "sales.xlsx" in html


def test_the_excel_export_holds_the_csvs_figures_as_numbers_and_dates(app):
    from openpyxl import load_workbook

    first, second, third = made_sales(app)
    client = english(app)
    sign_in(client)
    today = shop_today(app)
    week = f"from={(today - dt.timedelta(days=6)).isoformat()}&to={today.isoformat()}"
    answer = client.get(f"/office/sales.xlsx?by=day&{week}")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    assert answer.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    from_csv = csv_rows(client, f"by=day&{week}")
    assert list(rows[0]) == list(from_csv[0].keys())
    assert [(cell[0].date() if isinstance(cell[0], dt.datetime) else cell[0], *cell[1:]) for cell in rows[1:]] == [
        (dt.date.fromisoformat(row["day"]), row["currency"], *(int(row[key]) for key in list(row)[2:]))
        for row in from_csv]
    assert sum(row[3] for row in rows[1:]) == first["total"] + second["total"] + third["total"]


def test_sales_are_for_managers_and_bad_dates_fall_back_to_the_last_week(app):
    client = english(app)
    sign_in(client, "demo", "1234")
    assert client.get("/office/sales").status_code == 403
    assert client.get("/office/sales.csv").status_code == 403
    assert client.get("/office/sales.xlsx").status_code == 403
    manager = english(app)
    sign_in(manager)
    page = manager.get("/office/sales?from=yesterday&to=2026-13-45&by=nonsense")
    assert page.status_code == 200
    assert "No sales in these days" in page.get_data(as_text=True)
    assert manager.get("/office/sales?lang=pl").status_code == 200
