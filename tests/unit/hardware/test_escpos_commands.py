"""Exact bytes of the small commands, through python-escpos's Dummy printer (dummy://)."""
import logging

import pytest

from hardware.device import DeviceError
from hardware.receipt_printer import ReceiptPrinter, layout_receipt


def test_drawer_kick_sends_esc_p_and_is_logged(caplog):
    printer = ReceiptPrinter("dummy://printer?profile=TM-T88V")
    printer.open()
    with caplog.at_level(logging.INFO, logger="hardware.drawer"):
        printer.kick_drawer(reason="sale 42", cashier="demo")
    assert printer.connection.output == b"\x1bp\x00\x32\x32"  # ESC p m=0 (pin 2) t1 t2
    records = [record for record in caplog.records if record.name == "hardware.drawer"]
    assert len(records) == 1
    assert "sale 42" in records[0].getMessage() and "demo" in records[0].getMessage()
    assert printer.last_job is None  # a kick is not a print job


def test_drawer_on_pin_5():
    printer = ReceiptPrinter("dummy://printer", drawer_pin=5)
    printer.open()
    printer.kick_drawer(reason="no sale")
    assert printer.connection.output == b"\x1bp\x01\x32\x32"


def test_receipt_job_selects_code_page_and_ends_with_feed_and_cut(receipt):
    printer = ReceiptPrinter("dummy://printer?profile=TM-T88V")
    printer.open()
    printer.print_receipt(receipt)
    sent = printer.connection.output
    assert sent.startswith(b"\x1b@" + b"\x1bt\x12")  # ESC @, then ESC t 18 = CP852 on a TM-T88V
    assert sent.endswith(b"\x1bd\x06" + b"\x1dV\x00")  # feed 6 lines, full cut
    assert sent == printer.last_job


def test_ukrainian_job_selects_cp1251_on_tm_t88v(receipt):
    receipt["language"] = "uk"
    assert layout_receipt(receipt, profile="TM-T88V")[:5] == b"\x1b@\x1bt\x2e"  # ESC t 46


def test_native_qr_and_code128_commands(receipt):
    data = layout_receipt(receipt, profile="TM-T88V")
    assert b"\x1dkI\x09{BR-T1-42" in data  # GS k 73 (CODE128) len 9, code set B
    assert b"\x1d(k\x0a\x001P0R-T1-42" in data  # GS ( k store QR data
    assert b"\x1d(k\x03\x001Q0" in data  # GS ( k print QR


def test_unknown_profile_is_a_configuration_error():
    with pytest.raises(DeviceError) as raised:
        ReceiptPrinter("dummy://printer?profile=NoSuchPrinter")
    assert raised.value.code == "config"


def test_usb_without_pyusb_reports_a_missing_driver():
    """pyusb is an optional extra: run where `import usb` fails, as on a till that never installed it."""
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys; sys.modules['usb'] = None\n"
              "from hardware.device import DeviceError\n"
              "from hardware.receipt_printer import ReceiptPrinter\n"
              "printer = ReceiptPrinter('usb://04b8:0202?profile=TM-T88V')\n"
              "try:\n    printer.open()\nexcept DeviceError as error:\n"
              "    print(error.code, printer.status()['state'], error.message, error.action)\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            cwd=str(Path(__file__).resolve().parents[3]))
    assert result.stdout.startswith("driver_missing error "), result.stderr
    assert "04b8:0202" in result.stdout and "RUN_EXTRAS=store,usb" in result.stdout
