"""The catalogue in the back office over HTTP (SQLite and PostgreSQL): products with barcodes, VAT group and
price; a search typed without diacritics, by SKU or barcode, answered from indexes (the query plan is
checked, not the clock); and the CSV import, which writes the good rows, lists the bad ones by line, and
is confirmed with the manager's PIN and audited."""
from __future__ import annotations

import html
import io

from sqlalchemy import func, select, text

from pos.catalogue.models import Barcode, Product
from pos.office.catalogue import matching
from tests.integration.office.test_office_pages import audit, csrf_token, english, sign_in, store_node  # noqa: F401


def products(app) -> int:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Product))


def price_of(app, sku: str):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(Product.price).where(Product.sku == sku))


def test_the_catalogue_pages_and_finds_by_name_without_diacritics_sku_or_barcode(app):
    client = english(app)
    sign_in(client, "demo", "1234")  # a cashier may look products up
    first = client.get("/office/catalogue").get_data(as_text=True)
    assert "60 found · page 1 of 2" in first and "SKU-000000" in first and "5900000000008" in first
    assert "PLN84.84" in first  # Kiełbasa słodki's price as the reader's language writes it
    second = client.get("/office/catalogue?page=2").get_data(as_text=True)
    assert "SKU-000059" in second and "SKU-000000" not in second
    found = client.get("/office/catalogue", query_string={"q": "kielbasa swiezy"}).get_data(as_text=True)
    assert "Kiełbasa świeży 106g" in found and "Kiełbasa słodki" not in found
    assert "SKU-000010" in client.get("/office/catalogue", query_string={"q": "sku-000010"}).get_data(as_text=True)
    by_barcode = client.get("/office/catalogue", query_string={"q": "8590000000107"}).get_data(as_text=True)
    assert "Rohlík řezaný" in by_barcode and "1 found" in by_barcode
    assert "No product matches" in client.get("/office/catalogue?q=%25").get_data(as_text=True)
    # a cashier reads; only a manager imports
    assert "/office/catalogue/import" not in first
    assert client.get("/office/catalogue/import").status_code == 403


BULK = 100_000


def a_bulk_catalogue(app) -> None:
    """100,000 more products, made by the database itself (seconds, not minutes), with fresh statistics."""
    db = app.extensions["pos.db"]
    columns = "id, sku, name, search_name, unit, vat_group, price, currency, active, updated_at"
    with db.unit_of_work() as uow:
        if db.is_sqlite:
            uow.session.execute(text(
                f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BULK}) "
                f"INSERT INTO product ({columns}) SELECT lower(hex(randomblob(16))), printf('BULK-%06d', i), "
                "'Towar ' || i, 'towar ' || i, 'pcs', 'A', 100 + i, 'PLN', 1, '2026-12-03 00:00:00.000000' FROM n"))
        else:
            uow.session.execute(text(
                f"INSERT INTO product ({columns}) SELECT gen_random_uuid(), 'BULK-' || lpad(i::text, 6, '0'), "
                "'Towar ' || i, 'towar ' || i, 'pcs', 'A', 100 + i, 'PLN', true, now() "
                f"FROM generate_series(1, {BULK}) AS i"))
        uow.commit()
    with db.engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def query_plan(app, query: str) -> str:
    db = app.extensions["pos.db"]
    with app.app_context(), db.unit_of_work(read_only=True) as uow:
        statement = select(Product).where(matching(query)).order_by(Product.sku).limit(50)
        sql = str(statement.compile(dialect=uow.session.bind.dialect, compile_kwargs={"literal_binds": True}))
        if db.is_sqlite:
            return "\n".join(row[-1] for row in uow.session.execute(text("EXPLAIN QUERY PLAN " + sql)))
        return "\n".join(row[0] for row in uow.session.execute(text("EXPLAIN " + sql)))


def test_the_search_over_100000_products_is_answered_from_indexes_not_a_scan(app):
    a_bulk_catalogue(app)
    plan = query_plan(app, "kielbasa sw")
    assert "ix_product_search_name" in plan, plan
    if app.extensions["pos.db"].is_sqlite:
        assert all(line.startswith(("SEARCH", "LIST", "COMPOUND", "LEFT-MOST", "UNION", "USE TEMP"))
                   for line in plan.splitlines()), plan  # no SCAN: every table is reached through an index
    else:
        assert "Seq Scan on product" not in plan, plan  # (the 60 barcodes are few enough to read whole)
        assert plan.count("Index Cond") >= 4, plan  # name, SKU twice and the product by id: lookups, not walks
    client = english(app)
    sign_in(client)
    page = client.get("/office/catalogue", query_string={"q": "towar 9999"}).get_data(as_text=True)
    assert "11 found" in page and "BULK-009999" in page and "BULK-099990" in page  # 9999 and 99990…99999
    last = client.get("/office/catalogue?page=2001").get_data(as_text=True)
    assert "page 2001 of 2002" in last


def upload(client, body: str, pin: str = "9999", name: str = "prices.csv"):
    token = csrf_token(client.get("/office/catalogue/import").get_data(as_text=True))
    return client.post("/office/catalogue/import", content_type="multipart/form-data",
                       data={"csrf_token": token, "pin": pin, "file": (io.BytesIO(body.encode()), name)})


GOOD_AND_BAD = (
    "sku,name,unit,vat_group,price,barcodes,plu\n"
    "NEW-1,Chleb żytni,pcs,B,7.49,5901234123457,\n"          # line 2: good, new
    "SKU-000000,Kiełbasa słodka,pcs,C,90.00,5900000000008,\n"  # line 3: good, an update
    "NEW-2,Masło,pcs,Q,5.00,,\n"                              # line 4: no such VAT group
    "NEW-3,Mleko,pcs,B,3.99,5901234123458,\n"                 # line 5: wrong check digit
    "NEW-4,Ser,pcs,B,12.999,,\n"                              # line 6: price with three decimals
    "NEW-5,Jogurt,pcs,B,2.50,8590000000015,\n"                # line 7: SKU-000001's barcode
)


def test_an_import_writes_the_good_rows_and_lists_each_bad_one_by_line(app):
    client = english(app)
    sign_in(client)
    before = products(app)
    answer = upload(client, GOOD_AND_BAD)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    page = answer.get_data(as_text=True)
    assert "prices.csv: 1 created, 1 updated, 4 bad rows left out." in page
    bad_rows = page.split('class="bad-rows"')[1]
    for line, reason in ((4, "vat_group"), (5, "check digit"), (6, "price"), (7, "belongs to product SKU-000001")):
        assert f"<td class=\"num\">{line}</td>" in bad_rows and reason in bad_rows, (line, reason)
    hints = html.unescape(bad_rows)  # what to do, in the reader's language, beside the importer's detail
    assert "Use one of this country's VAT group letters." in hints and "Check the barcode's digits" in hints
    assert products(app) == before + 1 and price_of(app, "NEW-1") == 749 and price_of(app, "SKU-000000") == 9000
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Barcode.code).join(Product).where(Product.sku == "NEW-1")) == "5901234123457"
    entry = audit(app, "catalogue_import")[0]
    assert entry.subject == "prices.csv" and entry.details["rows"] == 2 and entry.details["bad_rows"] == 4


def test_an_import_needs_the_managers_pin_and_csrf_and_writes_nothing_without_them(app):
    client = english(app)
    sign_in(client)
    before = products(app)
    wrong = upload(client, GOOD_AND_BAD, pin="1111")
    assert wrong.status_code == 422 and "wrong PIN" in wrong.get_data(as_text=True)
    no_token = client.post("/office/catalogue/import", content_type="multipart/form-data",
                           data={"pin": "9999", "file": (io.BytesIO(GOOD_AND_BAD.encode()), "prices.csv")})
    assert no_token.status_code == 400
    missing_columns = upload(client, "sku;name;price\nA;B;1\n")
    assert "missing column(s)" in missing_columns.get_data(as_text=True)
    not_utf8 = upload(client, "x", name="x.csv")
    assert not_utf8.status_code == 200  # one bad line, nothing written
    latin = client.post("/office/catalogue/import", content_type="multipart/form-data",
                        data={"csrf_token": csrf_token(client.get("/office/catalogue/import").get_data(as_text=True)),
                              "pin": "9999", "file": (io.BytesIO("sku\nż".encode("iso-8859-2")), "l.csv")})
    assert latin.status_code == 422 and "UTF-8" in latin.get_data(as_text=True)
    assert products(app) == before and price_of(app, "SKU-000000") == 8484


def test_a_store_reads_its_catalogue_but_imports_only_at_head_office(store_node):
    client = english(store_node)
    sign_in(client)
    page = client.get("/office/catalogue").get_data(as_text=True)
    assert "3 found" in page and "/office/catalogue/import" not in page  # its catalogue comes from HQ
    assert client.get("/office/catalogue/import").status_code == 404
    assert client.get("/office/sales").status_code == 200 and client.get("/office/customers").status_code == 200
