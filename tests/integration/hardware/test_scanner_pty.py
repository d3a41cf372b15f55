"""The scanner reading a real pty, including being unplugged and plugged back at the same by-id link."""
import os
import queue
import threading

import pytest

from hardware.scanner import Scanner


class Collected:
    def __init__(self):
        self.codes = queue.Queue()

    def __call__(self, code: str) -> None:
        self.codes.put(code)

    def next(self) -> str:
        return self.codes.get(timeout=10)


def _plug_in(link):
    master, slave = os.openpty()
    if os.path.lexists(link):
        os.unlink(link)
    os.symlink(os.ttyname(slave), link)  # what udev does with /dev/serial/by-id
    return master, slave


def _wait(predicate, timeout=10):
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return True
        done.wait(0.02)
    return predicate()


@pytest.mark.parametrize("suffix, ending", [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n")])
def test_each_suffix_splits_codes(tmp_path, suffix, ending):
    link = str(tmp_path / "usb-scanner")
    master, slave = _plug_in(link)
    collected = Collected()
    scanner = Scanner(f"{link}?baudrate=9600&suffix={suffix}", collected).start()
    try:
        assert scanner.connected.wait(10)
        os.write(master, b"5901234123457" + ending + b"]C1010703206980498810AB" + ending[:1])
        os.write(master, ending[1:] + b"96385074" + ending)
        assert collected.next() == "5901234123457"
        assert collected.next() == "]C1010703206980498810AB"
        assert collected.next() == "96385074"
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)


def test_scanner_survives_unplug_and_replug(tmp_path):
    link = str(tmp_path / "usb-scanner")
    master, slave = _plug_in(link)
    collected = Collected()
    scanner = Scanner(f"{link}?suffix=CR", collected, retry_initial=0.02, retry_max=0.2).start()
    try:
        assert scanner.connected.wait(10)
        os.write(master, b"111\r")
        assert collected.next() == "111"

        os.close(master)  # unplugged: the tty goes away
        os.close(slave)
        os.unlink(link)
        assert _wait(lambda: scanner.status()["state"] == "error")
        assert scanner.status()["error"]["code"] == "unplugged"
        assert not scanner.connected.is_set()

        master, slave = _plug_in(link)  # plugged back: a new tty behind the same link
        assert scanner.connected.wait(10)
        assert scanner.status()["state"] == "idle" and scanner.reconnects == 1
        os.write(master, b"222\r")
        assert collected.next() == "222"
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)
    assert scanner.status()["state"] == "closed"


def test_scanner_started_before_it_is_plugged_in(tmp_path):
    link = str(tmp_path / "usb-scanner")
    collected = Collected()
    scanner = Scanner(f"{link}?suffix=LF", collected, retry_initial=0.02, retry_max=0.2).start()
    master = slave = None
    try:
        assert scanner.status()["state"] == "error"
        master, slave = _plug_in(link)
        assert scanner.connected.wait(10)
        os.write(master, b"4820000000000\n")
        assert collected.next() == "4820000000000"
    finally:
        scanner.stop()
        if master is not None:
            os.close(master)
            os.close(slave)


def test_a_failing_handler_does_not_stop_scanning(tmp_path):
    link = str(tmp_path / "usb-scanner")
    master, slave = _plug_in(link)
    collected = Collected()

    def handler(code):
        if code == "bad":
            raise ValueError("the till could not handle it")
        collected(code)

    scanner = Scanner(f"{link}?suffix=CR", handler).start()
    try:
        assert scanner.connected.wait(10)
        os.write(master, b"bad\rgood\r")
        assert collected.next() == "good"
    finally:
        scanner.stop()
        os.close(master)
        os.close(slave)
