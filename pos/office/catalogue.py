"""The catalogue in the back office: products with barcodes, VAT group and price, searched through indexes so
a 100,000-product catalogue pages as quickly as a small one; and the CSV import (the importer the
``flask catalog import`` command uses), which writes the good rows and lists the bad ones by line."""
from __future__ import annotations

import io
from collections import defaultdict

from flask import current_app, render_template, request
from flask_babel import gettext
from sqlalchemy import and_, select, union

from pos.catalogue.importer import check_against_catalogue, read_rows, write_rows
from pos.catalogue.models import Barcode, Product
from pos.http import database, settings
from pos.office.paging import paged, search_text
from pos.office.session import CASHIER, MANAGER, page
from pos.office.web import bp
from pos.office.work import Refused, change, confirmed
from pos.stores.models import Location
from pos.text import search_key

_AFTER_EVERY_TEXT = "\U0010ffff"


def _starting_with(column, text: str):
    """``column`` starts with ``text`` as a range, which the column's ordinary index answers on SQLite and on
    PostgreSQL alike (LIKE 'x%' is not index-backed on SQLite, and a leading % never is)."""
    return and_(column >= text, column < text + _AFTER_EVERY_TEXT)


def matching(query: str):
    """Names starting with the typed text (diacritics and case ignored), SKUs starting with it, or the
    product whose barcode it is: each branch an index lookup, put together as a union of ids (an OR of them
    leads PostgreSQL to walk the whole SKU index instead)."""
    found = union(select(Product.id).where(_starting_with(Product.search_name, search_key(query))),
                  select(Product.id).where(_starting_with(Product.sku, query)),
                  select(Product.id).where(_starting_with(Product.sku, query.upper())),
                  select(Barcode.product_id).where(Barcode.code == query.replace(" ", "")))
    return Product.id.in_(found)


@bp.get("/catalogue")
@page(MANAGER, CASHIER)
def catalogue():
    query = search_text()
    with database().unit_of_work(read_only=True) as uow:
        statement = select(Product)
        if query:
            statement = statement.where(matching(query))
        listed = paged(uow.session, statement.order_by(Product.sku), scalars=True)
        codes = defaultdict(list)
        for code, product_id in uow.session.execute(
                select(Barcode.code, Barcode.product_id)
                .where(Barcode.product_id.in_([product.id for product in listed.items])).order_by(Barcode.code)):
            codes[product_id].append(code)
    return render_template("office/catalogue.html", listed=listed, query=query, codes=codes,
                           vat_rates=settings().country.vat_rates)


@bp.route("/catalogue/import", methods=["GET", "POST"])
@page(MANAGER, nodes=("hq", "standalone"))
def catalogue_import():
    if request.method == "GET":
        return render_template("office/catalogue_import.html")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("office/catalogue_import.html",
                               error=gettext("Choose a CSV file to import, then send it again.")), 422
    try:
        text = upload.stream.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        return render_template("office/catalogue_import.html",
                               error=gettext("The file is not UTF-8 text. Save it as CSV UTF-8 and send it "
                                             "again.")), 422
    country = settings().country
    rows, bad = read_rows(io.StringIO(text, newline=""), country.vat_rates)
    name = upload.filename[:200]

    def work(session):
        found = sorted(bad + check_against_catalogue(session, rows), key=lambda item: item.line)
        bad_lines = {item.line for item in found}
        good = [row for row in rows if row.line not in bad_lines]
        confirmed(session, request.form.get("pin", ""), action="catalogue_import", subject=name,
                  details={"via": "office", "rows": len(good), "bad_rows": len(found)})
        location = session.scalars(select(Location).where(
            Location.code == current_app.config["POS_STORE_CODE"])).one_or_none()
        return write_rows(session, good, location.currency if location else country.currency), found
    try:
        (created, updated), found = change(work)
    except Refused as refused:
        return render_template("office/catalogue_import.html", error=refused.message), 422
    return render_template("office/catalogue_import.html", done=True, created=created, updated=updated, bad=found,
                           name=name)
