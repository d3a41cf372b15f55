"""The checkout scale driver on a pty, the 8217 emulator answering on the other side."""
from __future__ import annotations

import pytest

from hardware.device import DeviceError, DeviceState
from hardware.registry import create_device
from hardware.scale import Scale, Weighing
from simulators.scale import ScaleEmulator


@pytest.fixture
def emulator():
    scale = ScaleEmulator().start()
    yield scale
    scale.stop()


@pytest.fixture
def scale(emulator):
    device = Scale(f"{emulator.port}?baudrate=9600&timeout=0.3")
    device.open()
    yield device
    device.close()


def test_a_steady_weight_comes_back_in_grams(emulator, scale):
    emulator.place(1234)
    assert scale.weigh() == Weighing(1234)
    assert emulator.received == [b"W"]
    emulator.place(12_005)
    assert scale.weigh() == Weighing(12_005)


@pytest.mark.parametrize(("setup", "code"), [
    (lambda s: s.place(800, motion=True), "scale_motion"),
    (lambda s: s.place(0), "scale_zero"),
    (lambda s: s.place(20_000), "scale_over_capacity"),
])
def test_no_weight_to_sell_says_why_and_leaves_the_scale_usable(emulator, scale, setup, code):
    setup(emulator)
    with pytest.raises(DeviceError) as refused:
        scale.weigh()
    assert refused.value.code == code
    assert refused.value.action  # the cashier is told what to do next
    assert scale.state is DeviceState.IDLE
    emulator.place(700)
    assert scale.weigh().grams == 700


def test_a_tare_is_taken_off_and_cleared(emulator, scale):
    emulator.place(150)           # an empty container
    scale.tare()
    emulator.place(150 + 420)     # the goods in it
    assert scale.weigh() == Weighing(420, net=True)
    scale.clear_tare()
    assert scale.weigh() == Weighing(570)
    scale.tare(35)                # a known paper bag
    assert scale.weigh() == Weighing(535, net=True)
    assert emulator.received[-2:] == [b"T00035", b"W"]


def test_a_known_tare_out_of_range_is_refused_before_it_reaches_the_scale(emulator, scale):
    with pytest.raises(DeviceError) as refused:
        scale.tare(100_000)
    assert refused.value.code == "config"
    assert emulator.received == []


def test_a_hardware_fault_and_a_silent_scale_put_the_device_in_error_until_it_answers(emulator, scale):
    emulator.faulty = True
    emulator.place(500)
    with pytest.raises(DeviceError) as fault:
        scale.weigh()
    assert fault.value.code == "scale_fault"
    assert scale.state is DeviceState.ERROR
    emulator.faulty = False
    emulator.unplug()
    with pytest.raises(DeviceError) as silent:
        scale.weigh()
    assert silent.value.code == "offline"
    emulator.plug_in()
    assert scale.weigh().grams == 500
    assert scale.state is DeviceState.IDLE


def test_the_registry_opens_a_scale_by_kind_and_refuses_a_real_one_where_switched_off(emulator):
    with pytest.raises(DeviceError) as refused:
        create_device("scale", emulator.port, allow_real_devices=False)
    assert refused.value.code == "real_device_refused"
    device = create_device("scale", f"{emulator.port}?timeout=0.3")
    assert isinstance(device, Scale)
