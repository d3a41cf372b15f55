"""The back office's sales, customers and catalogue pages in headless Chromium, from the keyboard, in Polish,
Czech, Ukrainian and English: no English left over, no raw key."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_back_office import sign_in, tab_to, untranslated


def sell(live_store, items, login="demo", pin="1234", terminal="T1", customer=None) -> dict:
    api = live_store.api(login=login, pin=pin, terminal=terminal)
    api.http.post(f"{live_store.url}/api/v1/shifts", json={"opening_float": 0}, timeout=10)
    basket = api.http.post(f"{live_store.url}/api/v1/baskets", json={"customer_id": customer} if customer else {},
                           timeout=10).json()["id"]
    for sku, quantity in items:
        added = api.http.post(f"{live_store.url}/api/v1/baskets/{basket}/lines", json={"sku": sku, "quantity": quantity},
                              timeout=10)
        assert added.status_code == 201, added.text
    total = api.get(f"/api/v1/baskets/{basket}").json()["total"]
    sale = api.http.post(f"{live_store.url}/api/v1/baskets/{basket}/checkout",
                         json={"payments": [{"method": "cash", "amount": total}]}, timeout=10)
    assert sale.status_code == 201, sale.text
    return sale.json()


@pytest.mark.parametrize("language", ["pl", "cs", "uk", "en"])
def test_a_manager_reads_sales_by_till_with_a_chart_from_the_keyboard(page, live_store, language):
    sell(live_store, [("SKU-000012", 2)])
    sell(live_store, [("SKU-000013", 1)], login="anna", pin="4321", terminal="T2")
    sign_in(page, live_store.url, "boss", "9999", language)
    tab_to(page, "nav.pages a[href='/office/sales']")
    with page.expect_navigation(url="**/office/sales"):
        page.keyboard.press("Enter")
    assert page.locator("svg.chart rect").count() == 1  # today, one bar
    tab_to(page, "#by")
    page.keyboard.press("ArrowDown")  # day → store
    page.keyboard.press("ArrowDown")  # store → till
    tab_to(page, "form.filters button[type=submit]")
    with page.expect_navigation(url="**by=terminal**"):
        page.keyboard.press("Enter")
    assert page.locator("svg.chart rect").count() == 2
    assert page.locator("tbody tr").count() == 2
    assert "T2" in page.locator("tbody").inner_text()
    assert untranslated(page, language) == [], untranslated(page, language)
    tab_to(page, "a[href*='sales.csv']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.startswith("sales-terminal-")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"office-{language}-sales.png"), full_page=True)


@pytest.mark.parametrize("language", ["pl", "cs", "uk", "en"])
def test_a_manager_finds_a_customer_by_phone_typed_any_way_and_reads_their_page(page, live_store, language):
    api = live_store.api()
    created = api.http.post(f"{live_store.url}/api/v1/customers", timeout=10,
                            json={"name": "Zofia Żółkiewska", "phone": "+48601234567", "email": "zofia@example.pl",
                                  "marketing_sms": True})
    assert created.status_code == 201, created.text
    sale = sell(live_store, [("SKU-000012", 1)], customer=created.json()["id"])
    sign_in(page, live_store.url, "boss", "9999", language)
    tab_to(page, "nav.pages a[href='/office/customers']")
    with page.expect_navigation(url="**/office/customers"):
        page.keyboard.press("Enter")
    tab_to(page, "#q")
    page.keyboard.type("601-234-567")  # as the customer says it, not as it is stored
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("tbody tr").count() == 1
    tab_to(page, "tbody a[href*='/office/customers/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Zofia Żółkiewska"
    assert "+48601234567" in page.locator("dl.facts").first.inner_text()
    assert str(sale["receipt_number"]) in page.locator("main").inner_text()
    assert untranslated(page, language) == [], untranslated(page, language)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"office-{language}-customer.png"), full_page=True)


@pytest.mark.parametrize("language", ["pl", "cs", "uk", "en"])
def test_a_manager_searches_the_catalogue_and_imports_a_csv_with_a_bad_row_from_the_keyboard(
        page, live_store, language, tmp_path):
    sign_in(page, live_store.url, "boss", "9999", language)
    tab_to(page, "nav.pages a[href='/office/catalogue']")
    with page.expect_navigation(url="**/office/catalogue"):
        page.keyboard.press("Enter")
    tab_to(page, "#q")
    page.keyboard.type("rohlik")  # typed without the Czech letters
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Rohlík řezaný" in page.locator("tbody").inner_text()
    assert untranslated(page, language) == [], untranslated(page, language)

    prices = tmp_path / "ceny.csv"
    prices.write_text("sku,name,unit,vat_group,price,barcodes,plu\n"
                      "NEW-1,Chleb żytni,pcs,B,7.49,5901234123457,\n"
                      "NEW-2,Masło,pcs,B,5.00,5901234123458,\n", encoding="utf-8")
    tab_to(page, "a[href='/office/catalogue/import']")
    with page.expect_navigation(url="**/office/catalogue/import"):
        page.keyboard.press("Enter")
    assert untranslated(page, language) == [], untranslated(page, language)
    tab_to(page, "#file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(prices))
    tab_to(page, "#import-pin")
    page.keyboard.type("9999")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    result = page.locator("#result-title").inner_text()
    assert "ceny.csv" in result and " 1" in result
    bad = page.locator("table.bad-rows tbody tr")
    assert bad.count() == 1 and bad.first.inner_text().startswith("3")  # the line with the wrong check digit
    assert untranslated(page, language) == [], untranslated(page, language)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"office-{language}-catalogue-import.png"), full_page=True)
