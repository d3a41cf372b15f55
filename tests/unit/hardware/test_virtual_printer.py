"""The virtual printer: jobs kept as bytes, pictures drawn from those bytes, paper faults."""
import io

import pytest
import zxingcpp
from PIL import Image, ImageOps

from hardware.device import DeviceError
from hardware.receipt_printer import EscPosRenderer, ReceiptPrinter, layout_receipt
from hardware.receipt_printer import fonts


def _codes(png: bytes) -> dict:
    image = Image.open(io.BytesIO(png))
    return {result.format.name: result.text for result in zxingcpp.read_barcodes(image)}


@pytest.fixture
def printer():
    device = ReceiptPrinter("emulator://printer?profile=TM-T88V")
    device.open()
    yield device
    device.close()


def test_receipt_png_has_scannable_qr_and_code128_with_the_receipt_number(printer, receipt):
    printer.print_receipt(receipt)
    codes = _codes(printer.emulator.png())
    assert codes.get("QRCode") == "R-T1-42"
    assert codes.get("Code128") == "R-T1-42"


def test_qr_sent_as_raster_image_is_drawn_from_gs_v_0(receipt):
    printer = ReceiptPrinter("emulator://printer?profile=TM-T88V&qr=image&codes=qr")
    printer.open()
    printer.print_receipt(receipt)
    assert b"\x1dv0" in printer.last_job and b"\x1d(k" not in printer.last_job
    assert _codes(printer.last_job_png()) == {"QRCode": "R-T1-42"}


def test_58mm_printer_without_native_barcodes_still_prints_scannable_codes(receipt):
    printer = ReceiptPrinter("emulator://printer?profile=NT-5890K")
    printer.open()
    printer.print_receipt(receipt)
    assert b"\x1dk" not in printer.last_job  # software barcode: sent as a picture
    codes = _codes(printer.last_job_png())
    assert codes.get("Code128") == "R-T1-42" and codes.get("QRCode") == "R-T1-42"


@pytest.mark.parametrize("language, words", [("pl", "Żółć gęślą jaźń"), ("cs", "Příliš žluťoučký kůň"),
                                             ("uk", "Їжак ґедзь щось")])
def test_renderer_reads_text_in_the_selected_code_page(receipt, language, words):
    receipt["language"] = language
    receipt["lines"][0]["name"] = words
    result = EscPosRenderer("TM-T88V").render(layout_receipt(receipt, profile="TM-T88V"))
    assert words in result.text_lines
    assert result.cuts == 1


def test_renderer_shows_wrong_code_page_as_wrong_letters():
    # "ż" in CP852 (0xBE) read as CP437 is not "ż": the picture shows the bug a real printer would
    wrong = EscPosRenderer("TM-T88V").render(b"\x1b@\x1bt\x00\xbe\n")
    right = EscPosRenderer("TM-T88V").render(b"\x1b@\x1bt\x12\xbe\n")
    assert right.text_lines == ["ż"] and wrong.text_lines != ["ż"]


def _ink_box(image):
    left, top, right, bottom = ImageOps.invert(image).getbbox()
    return right - left, bottom - top


def test_double_size_total_is_twice_as_wide_and_tall():
    renderer = EscPosRenderer("TM-T88V")
    normal_width, normal_height = _ink_box(renderer.render(b"\x1b@SUMA\n").image)
    double_width, double_height = _ink_box(renderer.render(b"\x1b@\x1b!\x30SUMA\n").image)
    assert 1.8 * normal_width <= double_width <= 2.2 * normal_width
    assert 1.8 * normal_height <= double_height <= 2.2 * normal_height


def test_jobs_are_kept_as_bin_files(tmp_path, receipt):
    printer = ReceiptPrinter(f"emulator://printer?dir={tmp_path}&png=1")
    printer.open()
    printer.print_receipt(receipt)
    printer.print_report({"kind": "z_report", "language": "pl", "rows": [{"label": "Sprzedaż", "amount": 100}]})
    files = sorted(tmp_path.glob("job-*.bin"))
    assert [path.name for path in files] == ["job-0001.bin", "job-0002.bin"]
    assert files[0].read_bytes() == printer.emulator.jobs[0].data
    assert files[1].read_bytes() == printer.last_job
    assert _codes((tmp_path / "job-0001.png").read_bytes()) == {"QRCode": "R-T1-42", "Code128": "R-T1-42"}


def test_paper_out_refuses_the_job_with_a_cashier_message(printer, receipt):
    printer.emulator.set_paper("out")
    with pytest.raises(DeviceError) as raised:
        printer.print_receipt(receipt)
    assert raised.value.code == "paper_out"
    assert "Paper out" in raised.value.message and "Retry" in raised.value.message
    status = printer.status()
    assert status["state"] == "error" and status["paper"] == "out"
    assert status["error"]["code"] == "paper_out"
    assert not printer.emulator.jobs
    printer.emulator.set_paper("ok")
    printer.print_receipt(receipt)  # Retry after loading paper
    assert printer.status()["state"] == "idle" and printer.status()["error"] is None
    assert len(printer.emulator.jobs) == 1


def test_paper_near_end_still_prints_and_is_reported(printer, receipt):
    printer.emulator.set_paper("near_end")
    printer.print_receipt(receipt)
    assert printer.status()["paper"] == "near_end"
    assert printer.paper_status() == "near_end"
    assert len(printer.emulator.jobs) == 1


def test_printer_off_before_the_job_is_a_clean_offline_fault(printer, receipt):
    printer.emulator.online = False
    with pytest.raises(DeviceError) as raised:
        printer.print_receipt(receipt)  # the paper query fails first: nothing was sent
    assert raised.value.code == "offline" and not raised.value.ambiguous
    assert printer.status()["state"] == "error"


def test_printer_dropping_mid_job_is_ambiguous_and_retry_reopens(receipt):
    printer = ReceiptPrinter("emulator://printer?paper_check=0")
    printer.open()
    printer.print_receipt(receipt)
    printer.emulator.online = False
    with pytest.raises(DeviceError) as raised:
        printer.print_receipt(receipt)
    assert raised.value.code == "offline" and raised.value.ambiguous
    assert printer.connection is None and printer.status()["error"]["code"] == "offline"
    printer.emulator.online = True
    printer.print_receipt(receipt)  # Retry opens the link again
    assert printer.status()["state"] == "idle"
    assert len(printer.emulator.jobs) == 2


def test_renderer_falls_back_to_pillows_font_without_dejavu(monkeypatch, receipt):
    monkeypatch.setattr(fonts, "FONT_DIRS", ())
    fonts.cell_font.cache_clear()
    try:
        result = EscPosRenderer("TM-T88V").render(layout_receipt(receipt, profile="TM-T88V"))
        assert "Chleb żytni" in result.text_lines
        assert {r.text for r in zxingcpp.read_barcodes(result.image)} == {"R-T1-42"}
    finally:
        fonts.cell_font.cache_clear()
