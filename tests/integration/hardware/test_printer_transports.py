"""The receipt printer over real transports: TCP port 9100 on loopback, a serial pty, a file."""
import socket

import pytest
import zxingcpp

from hardware.device import DeviceError
from hardware.receipt_printer import EscPosRenderer, ReceiptPrinter


def test_network_printer_gets_the_whole_job(network_printer, receipt):
    printer = ReceiptPrinter(f"socket://127.0.0.1:{network_printer.port}?profile=TM-T88V&timeout=5")
    printer.open()
    printer.print_receipt(receipt)
    sent = network_printer.wait_for(len(printer.last_job))
    assert sent == printer.last_job
    assert printer.status()["paper"] == "ok"
    result = EscPosRenderer("TM-T88V").render(sent)
    assert "Příliš žluťoučký kůň" in result.text_lines
    assert {code.text for code in zxingcpp.read_barcodes(result.image)} == {"R-P2-7"}
    printer.close()


def test_network_printer_reporting_paper_out(network_printer_factory, receipt):
    server = network_printer_factory(paper_reply=b"\x72")  # DLE EOT 4: paper end sensor
    printer = ReceiptPrinter(f"socket://127.0.0.1:{server.port}?timeout=5")
    with pytest.raises(DeviceError) as raised:
        printer.print_receipt(receipt)
    assert raised.value.code == "paper_out"
    assert server.received == bytearray()  # nothing but the status query was sent
    printer.close()


def test_network_printer_ignoring_the_paper_query_still_prints(network_printer_factory, receipt):
    server = network_printer_factory(paper_reply=b"")  # answers nothing to DLE EOT 4
    printer = ReceiptPrinter(f"socket://127.0.0.1:{server.port}?timeout=0.3")
    printer.print_receipt(receipt)
    assert server.wait_for(len(printer.last_job)) == printer.last_job
    assert printer.status()["paper"] == "unknown" and printer.status()["state"] == "idle"
    printer.close()


def test_network_printer_not_listening_is_offline(receipt):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    printer = ReceiptPrinter(f"socket://127.0.0.1:{port}?timeout=2")
    with pytest.raises(DeviceError) as raised:
        printer.print_receipt(receipt)
    assert raised.value.code == "offline"
    assert "Retry" in raised.value.action
    assert printer.status()["state"] == "error"


def test_serial_printer_over_a_pty(serial_printer, receipt):
    printer = ReceiptPrinter(f"{serial_printer.path}?baudrate=19200&profile=TM-T20II")
    printer.open()
    printer.print_receipt(receipt)
    printer.kick_drawer(reason="sale", cashier="eva")
    sent = serial_printer.wait_for(len(printer.last_job) + 5)
    assert sent == printer.last_job + b"\x1bp\x00\x32\x32"
    assert printer.status()["paper"] == "ok"
    assert printer.columns == 48
    printer.close()


def test_file_printer_writes_the_job(tmp_path, receipt):
    device_file = tmp_path / "lp0"
    printer = ReceiptPrinter(f"file://{device_file}?profile=TM-T88V")
    printer.open()
    printer.print_receipt(receipt)
    printer.close()
    assert device_file.read_bytes() == printer.last_job
    assert printer.status()["paper"] == "unknown"  # a device file cannot tell
