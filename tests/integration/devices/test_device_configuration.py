"""Setting a till's devices by URL through the API and `flask devices`, checked by connecting, effective
without a restart."""
from __future__ import annotations

from sqlalchemy import select

from pos.staff.models import AuditEntry
from pos.stores.models import Terminal

BOSS = {"login": "boss", "pin": "9999"}


def terminal_row(app, code="T1") -> Terminal:
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalars(select(Terminal).where(Terminal.code == code)).one()


def devices(api) -> dict:
    return {item["name"]: item for item in api.get("/api/v1/devices").get_json()["items"]}


def test_a_manager_sets_a_scale_by_url_it_is_checked_audited_and_used_at_once(app, hub, till):
    refused = till.put("/api/v1/terminals/T1/devices/scale", json={"url": "emulator://scale"})
    assert refused.status_code == 403 and refused.get_json()["invalid_params"][0]["name"] == "approval"
    assert terminal_row(app).scale_url == ""

    response = till.put("/api/v1/terminals/T1/devices/scale",
                        json={"url": "emulator://scale?grams=640&timeout=0.3", "approval": BOSS})
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"name": "scale", "before": "", "url": "emulator://scale?grams=640&timeout=0.3",
                                   "checked": True}
    assert terminal_row(app).scale_url == "emulator://scale?grams=640&timeout=0.3"
    basket = till.post("/api/v1/baskets", json={}).get_json()["id"]
    weighed = till.post(f"/api/v1/baskets/{basket}/lines", json={"sku": "SKU-000005", "weigh": True})
    assert weighed.status_code == 201 and weighed.get_json()["lines"][0]["quantity"] == 640
    assert devices(till)["scale"]["state"] == "idle"
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "device_set")).all()
    assert [(entry.subject, entry.details["url"]) for entry in audit] == [
        ("T1 scale", "emulator://scale?grams=640&timeout=0.3")]


def test_a_device_that_cannot_be_opened_is_refused_naming_the_url_and_nothing_changes(app, hub, till):
    before = terminal_row(app).fiscal_url
    response = till.put("/api/v1/terminals/T1/devices/fiscal", json={"url": "emulator://nosuch", "approval": BOSS})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["invalid_params"][0]["name"] == "url" and problem["device_fault"]["code"] == "bad_url"
    real = till.put("/api/v1/terminals/T1/devices/printer",
                    json={"url": "socket://127.0.0.1:9", "approval": BOSS})
    assert real.status_code == 422 and real.get_json()["device_fault"]["code"] == "real_device_refused"
    assert terminal_row(app).fiscal_url == before and terminal_row(app).printer_url == ""


def test_unknown_devices_and_tills_are_named(hub, till):
    assert till.put("/api/v1/terminals/T1/devices/toaster",
                    json={"url": "emulator://display", "approval": BOSS}).get_json()["invalid_params"][0]["name"] == "name"
    unknown = till.put("/api/v1/terminals/T9/devices/display", json={"url": "emulator://display", "approval": BOSS})
    assert unknown.status_code == 404 and unknown.get_json()["invalid_params"][0]["name"] == "code"


def test_an_empty_url_removes_the_device(app, hub, till):
    till.put("/api/v1/terminals/T1/devices/display", json={"url": "emulator://display", "approval": BOSS})
    assert "display" in devices(till)
    response = till.put("/api/v1/terminals/T1/devices/display", json={"url": "", "approval": BOSS})
    assert response.status_code == 200 and response.get_json()["checked"] is False
    assert "display" not in devices(till)


def test_flask_devices_sets_lists_and_refuses_what_does_not_open(app, hub, till):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["devices", "set", "T1", "display", "emulator://display"])
    assert result.exit_code == 0, result.output
    assert "T1 display: - -> emulator://display (checked)" in result.output
    assert devices(till)["display"]["url"] == "emulator://display"  # the running node picked it up
    bad = runner.invoke(args=["devices", "set", "T1", "fiscal", "emulator://nosuch"])
    assert bad.exit_code != 0 and "Nothing was changed" in bad.output
    listed = runner.invoke(args=["devices", "list"]).output
    assert "T1\tdisplay\temulator://display" in listed and "T2\tscale\t-" in listed
