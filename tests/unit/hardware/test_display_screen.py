from hardware.display import LineDisplay, move_cursor
from hardware.display_screen import DisplayScreen


def test_screen_follows_dm_d_commands():
    screen = DisplayScreen()
    screen.feed(b"\x1b@" + b"\x1bt\x12" + b"\x0c" + move_cursor(1, 1) + "Żółć".encode("cp852")
                + move_cursor(17, 2) + b"9,00")
    assert screen.lines == ["Żółć", "                9,00"]
    screen.feed(b"\x0c")
    assert screen.lines == ["", ""]


def test_command_split_across_reads_is_joined():
    screen = DisplayScreen()
    data = b"\x1bt\x11" + move_cursor(1, 2) + "Решта".encode("cp866")
    for index in range(len(data)):
        screen.feed(data[index:index + 1])
    assert screen.lines == ["", "Решта"]


def test_emulated_display_shows_items_and_total_in_czech():
    display = LineDisplay("emulator://display?language=cs")
    display.open()
    display.show_item("Příliš žluťoučký kůň", 12990, "CZK", quantity=1, unit_price=12990)
    assert display.screen.lines == ["Příliš žluťoučký kůň", "1 x 129,90    129,90"]
    display.show_total(25000, "CZK", change=0)
    assert display.screen.lines == ["CELKEM CZK    250,00", "Vráceno         0,00"]
    assert display.status()["lines"] == display.screen.lines


def test_weighed_item_drops_the_unit_to_fit_twenty_columns():
    display = LineDisplay("emulator://display?language=pl")
    display.open()
    display.show_item("Ser gouda", 1304, "PLN", quantity=352, unit="kg", unit_price=3990)
    assert display.screen.lines == ["Ser gouda", "0,352 x 39,90  13,04"]


def test_ukrainian_on_cp866_uses_look_alike_letters():
    display = LineDisplay("emulator://display?language=uk")
    display.open()
    display.show("Їжак ґедзь щось", "Дякуємо")
    assert display.screen.lines == ["Їжак гедзь щось", "Дякуємо"]
