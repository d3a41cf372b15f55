import json

from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from hardware.fiscal import FiscalLine, FiscalReceipt, Payment
from hardware.fiscal.novitus import spec as noviapi_spec
from hardware.fiscal.novitus.driver import NoviApiPrinter


def request_errors(spec_path, method, path, body=None, token="x"):
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    environ = EnvironBuilder(method=method, path=path, base_url="http://127.0.0.1:8888", json=body,
                             headers=headers).get_environ()
    api = noviapi_spec.openapi(str(spec_path))
    return [str(e) for e in api.iter_request_errors(WerkzeugOpenAPIRequest(Request(environ)))]


def test_path_id_is_patched_required_in_memory_only(noviapi_spec_path):
    raw = json.loads(noviapi_spec_path.read_text("utf-8"))
    put = raw["paths"]["/api/v1/receipt/{id}"]["put"]["parameters"]
    assert not any(p.get("required") for p in put if p["in"] == "path")  # the file as published
    patched = noviapi_spec.load_spec(noviapi_spec_path)["paths"]["/api/v1/receipt/{id}"]["put"]["parameters"]
    assert all(p["required"] for p in patched if p["in"] == "path")


def test_the_driver_s_receipt_is_what_the_spec_accepts(noviapi_spec_path):
    receipt = FiscalReceipt("SALE-2025-0001", [
        FiscalLine("Chleb żytni", 2, 450, "B", 900),
        FiscalLine("Ser gouda", 352, 3999, "A", 1308, discount=100, weighed=True),
    ], total=2208, payments=[Payment("card", 1000), Payment("cash", 1500)], cashier="Anna")
    body = NoviApiPrinter("http://127.0.0.1:8888")._receipt_body(receipt)
    assert request_errors(noviapi_spec_path, "POST", "/api/v1/receipt", body) == []
    article = body["receipt"]["items"][1]["article"]
    assert (article["quantity"], article["value"], article["discount_markup"]["value"]) == ("0.352", "14.08", "1.00")
    assert body["receipt"]["summary"] == {"total": "22.08", "pay_in": "25.00", "change": "2.92"}


def test_the_spec_rejects_what_a_printer_would(noviapi_spec_path):
    bad_price = {"receipt": {"items": [{"article": {"name": "X", "ptu": "A", "price": "1,00", "quantity": "1",
                                                    "value": "1.00"}}],
                             "summary": {"total": "1.00", "pay_in": "1.00"}}}
    assert request_errors(noviapi_spec_path, "POST", "/api/v1/receipt", bad_price)
    assert request_errors(noviapi_spec_path, "PUT", "/api/v1/receipt/short-id")
    assert request_errors(noviapi_spec_path, "PUT", "/api/v1/receipt/" + "a" * 32, token=None)
