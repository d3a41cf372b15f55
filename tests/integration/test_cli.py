"""flask catalog import and flask demo load, through Click's runner against the real app."""
import pytest
from sqlalchemy import func, select

from pos.catalogue.barcodes import with_check_digit
from pos.catalogue.models import Product

GOOD_1 = with_check_digit("590999000001")
GOOD_2 = with_check_digit("859999000002")


def products(app):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Product))


def write(tmp_path, text):
    path = tmp_path / "products.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_writes_nothing_when_a_row_is_bad_and_skip_bad_loads_the_rest(app, tmp_path):
    before = products(app)
    csv_file = write(tmp_path, "sku,name,unit,vat_group,price,barcodes,plu\n"
                               f"N-1,Knedlík český,pcs,A,12.90,{GOOD_1},\n"
                               "N-2,Bad price,pcs,A,abc,,\n"
                               f"N-3,Сир український,kg,B,199.00,{GOOD_2},777\n")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["catalog", "import", csv_file])
    assert result.exit_code != 0
    assert "products.csv:3: price" in result.output
    assert products(app) == before
    result = runner.invoke(args=["catalog", "import", csv_file, "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 1 skipped" in result.output
    assert products(app) == before + 2
    result = runner.invoke(args=["catalog", "import", write(tmp_path, "sku,name,unit,vat_group,price,barcodes,plu\n"
                                                                      f"N-1,Knedlík,pcs,B,13.90,{GOOD_1},\n")])
    assert "0 created, 1 updated" in result.output
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        assert uow.session.scalar(select(Product.price).where(Product.sku == "N-1")) == 1390


def test_a_barcode_of_another_product_is_a_bad_row(app, tmp_path):
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        taken = uow.session.scalars(select(Product).where(Product.sku == "SKU-000000")).one().barcodes[0].code
    result = app.test_cli_runner().invoke(args=["catalog", "import", write(
        tmp_path, f"sku,name,unit,vat_group,price,barcodes,plu\nX-1,Thief,pcs,A,1.00,{taken},\n")])
    assert result.exit_code != 0 and "belongs to product SKU-000000" in result.output


def test_demo_load_runs_once(database_url, tmp_path):
    from tests.conftest import make_test_app
    app = make_test_app(database_url, tmp_path)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load", "--products", "300"])
    assert first.exit_code == 0 and "loaded" in first.output
    second = runner.invoke(args=["demo", "load", "--products", "300"])
    assert "already present" in second.output
    assert products(app) == 300
    client = app.test_client()
    assert client.post("/api/v1/auth/login", json={"login": "boss", "pin": "9999"}).status_code == 201
    app.extensions["pos.db"].dispose()


@pytest.mark.parametrize("country, currency, prefix, letters, manager", [
    ("PL", "PLN", "590", "ąćęłńóśźż", "Piotr Nowak"),
    ("CZ", "CZK", "859", "áčďéěíňóřšťúůýž", "Petr Svoboda"),
    ("UA", "UAH", "482", "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя", "Андрій Коваленко"),
])
def test_each_countrys_demo_speaks_its_language_in_its_currency_with_no_name_twice(
        tmp_path, country, currency, prefix, letters, manager):
    from sqlalchemy import select

    from pos.catalogue.models import Barcode, Product
    from pos.staff.models import Cashier
    from pos.stores.models import Location
    from tests.conftest import make_test_app, migrate
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    migrate(url)
    app = make_test_app(url, tmp_path, POS_COUNTRY=country, POS_STORE_CODE=f"{country}1")
    try:
        result = app.test_cli_runner().invoke(args=["demo", "load", "--products", "600"])
        assert result.exit_code == 0, result.output
        with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            names = uow.session.scalars(select(Product.name)).all()
            codes = uow.session.scalars(select(Barcode.code)).all()
            currencies = set(uow.session.scalars(select(Product.currency)))
            location = uow.session.scalars(select(Location).where(Location.code == f"{country}1")).one()
            staff = set(uow.session.scalars(select(Cashier.name)))
        assert len(names) == len(set(names)) == 600
        assert sum(any(letter in name.lower() for letter in letters) for name in names) > 300
        assert all(code.startswith(prefix) for code in codes)
        assert currencies == {currency} and location.currency == currency
        assert manager in staff
    finally:
        app.extensions["pos.db"].dispose()
