"""The customer display driver writing to a pty, the DM-D emulator reading the master side."""
import pytest

from hardware.device import DeviceError
from hardware.display import LineDisplay
from hardware.display_screen import PtyDisplay


@pytest.fixture
def pty_display():
    with PtyDisplay() as emulator:
        yield emulator


def test_items_and_total_reach_the_display(pty_display):
    display = LineDisplay(f"{pty_display.port}?baudrate=9600&language=pl")
    display.open()
    try:
        display.show_item("Chleb żytni", 900, "PLN", quantity=2, unit_price=450)
        assert pty_display.screen.wait_for(lambda lines: lines == ["Chleb żytni", "2 x 4,50        9,00"])
        display.show_total(2204, "PLN", change=296)
        assert pty_display.screen.wait_for(lambda lines: lines == ["SUMA PLN       22,04", "Reszta          2,96"])
        display.clear()
        assert pty_display.screen.wait_for(lambda lines: lines == ["", ""])
    finally:
        display.close()


def test_ukrainian_text_on_the_display(pty_display):
    display = LineDisplay(f"{pty_display.port}?language=uk")
    display.open()
    try:
        display.show_total(12345, "UAH")
        assert pty_display.screen.wait_for(lambda lines: lines == ["СУМА UAH", "              123,45"])
    finally:
        display.close()


def test_missing_display_is_offline(tmp_path):
    display = LineDisplay(str(tmp_path / "no-such-tty"))
    with pytest.raises(DeviceError) as raised:
        display.open()
    assert raised.value.code == "offline"


def test_display_unplugged_then_back(tmp_path):
    first = PtyDisplay().start()
    link = tmp_path / "usb-display"
    link.symlink_to(first.port)
    display = LineDisplay(f"{link}?language=pl")
    display.open()
    display.show("Witamy", "")
    assert first.screen.wait_for(lambda lines: lines[0] == "Witamy")
    first.stop()
    link.unlink()
    with pytest.raises(DeviceError) as raised:
        display.show("Chleb", "4,50")
    assert raised.value.code == "offline" and display.status()["state"] == "error"
    with PtyDisplay() as second:
        link.symlink_to(second.port)
        display.show("Chleb", "4,50")  # reopened at the same path
        assert second.screen.wait_for(lambda lines: lines == ["Chleb", "4,50"])
        assert display.status()["state"] == "idle"
        display.close()
