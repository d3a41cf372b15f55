"""USB receipt printers (pyusb, an optional extra): the address is checked when a till's printer is set through
the API or `flask devices`, and each reason a USB printer cannot be used is a configuration error naming its
vendor:product id — pyusb missing, libusb missing, or no such printer plugged in (no USB printer is attached to
the test machine, so the last is what a real lookup answers here when libusb is present)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import login, make_test_app, seed_store
from tests.integration.devices.test_device_configuration import BOSS, terminal_row

# an Epson TM-T88V's ids; no such printer is attached to a test machine
PRINTER = "usb://04b8:0202?profile=TM-T88V"


@pytest.fixture
def real_app(database_url, tmp_path, pin_hashes):
    app = make_test_app(database_url, tmp_path, POS_ALLOW_REAL_DEVICES=True)
    seed_store(app, pin_hashes)
    yield app
    app.extensions["pos.devices"].close()
    app.extensions["pos.db"].dispose()


@pytest.fixture
def till(real_app):
    return login(real_app.test_client())


def usb_lookup_here() -> str:
    """Which answer a real lookup gives on this machine: libusb present → the printer is not found."""
    import usb.backend.libusb0
    import usb.backend.libusb1
    import usb.backend.openusb

    backends = (usb.backend.libusb1, usb.backend.libusb0, usb.backend.openusb)
    return "usb_device_not_found" if any(b.get_backend() for b in backends) else "libusb_missing"


@pytest.mark.parametrize("url, named", [("usb://04zz:0202", "04zz:0202"), ("usb://4b8:202", "4b8:202"),
                                        ("usb://04b8", "04b8"), ("usb://04b8:0202?out_ep=zz", "out_ep='zz'")])
def test_a_bad_usb_address_is_a_configuration_error_naming_it(real_app, till, url, named):
    response = till.put("/api/v1/terminals/T1/devices/printer", json={"url": url, "approval": BOSS, "check": False})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["invalid_params"][0]["name"] == "url" and problem["device_fault"]["code"] == "bad_configuration"
    assert named in problem["detail"]
    unchecked = real_app.test_cli_runner().invoke(args=["devices", "set", "T1", "printer", url, "--no-check"])
    assert unchecked.exit_code != 0 and named in unchecked.output and "Nothing was changed" in unchecked.output
    assert terminal_row(real_app).printer_url == ""


def test_a_usb_printer_that_cannot_be_opened_is_refused_naming_its_ids(real_app, till):
    expected = usb_lookup_here()
    response = till.put("/api/v1/terminals/T1/devices/printer", json={"url": PRINTER, "approval": BOSS})
    assert response.status_code == 422, response.get_json()
    fault = response.get_json()["device_fault"]
    assert fault["code"] == expected and "04b8:0202" in fault["message"]
    assert ("lsusb" if expected == "usb_device_not_found" else "libusb") in fault["action"]
    cli = real_app.test_cli_runner().invoke(args=["devices", "set", "T1", "printer", PRINTER])
    assert cli.exit_code != 0 and "04b8:0202" in cli.output and "Nothing was changed" in cli.output
    assert terminal_row(real_app).printer_url == ""
    # kept unchecked (the printer is plugged in later), the till reports the same cause on its status bar
    kept = till.put("/api/v1/terminals/T1/devices/printer", json={"url": PRINTER, "approval": BOSS, "check": False})
    assert kept.status_code == 200 and terminal_row(real_app).printer_url == PRINTER
    assert till.post("/api/v1/shifts", json={"opening_float": 0}).status_code == 201  # prints its slip
    printer = next(i for i in till.get("/api/v1/devices").get_json()["items"] if i["name"] == "printer")
    assert printer["state"] == "error" and printer["error"]["code"] == expected


def test_without_pyusb_flask_devices_says_how_to_install_the_extra(real_app, database_url, tmp_path):
    """The extra is not installed by default: a till without pyusb (here: a `flask` whose `import usb` fails,
    as on a till where it was never installed) refuses the printer and names the usb extra."""
    env = {**os.environ, "FLASK_APP": "pos:create_app", "POS_DATABASE_URL": database_url,
           "POS_ALLOW_REAL_DEVICES": "1", "POS_DEVICE_DIR": str(tmp_path / "devices")}
    script = "import sys; sys.modules['usb'] = None; from flask.cli import main; main()"
    result = subprocess.run([sys.executable, "-c", script, "devices", "set", "T1", "printer", PRINTER], env=env,
                            capture_output=True, text=True, timeout=120,
                            cwd=str(Path(__file__).resolve().parents[3]))
    assert result.returncode != 0, result.stdout
    assert "04b8:0202" in result.stderr and "RUN_EXTRAS=store,usb" in result.stderr, result.stderr
    assert "Nothing was changed" in result.stderr
    assert terminal_row(real_app).printer_url == ""
