"""Setting a till's devices by URL, checked by connecting before it is kept.

The URL lives on the Terminal row; the web process's DeviceHub notices a changed row on the next request
and reopens that till's devices, so a change needs no restart (from the API or from `flask devices`)."""
from __future__ import annotations

from sqlalchemy import select

from hardware.device import DeviceError, parse_device_url
from pos.devices.station import Station, resolve_urls
from pos.problems import ApiProblem
from pos.stores.models import Location, Terminal

FIELDS = {"fiscal": "fiscal_url", "printer": "printer_url", "display": "display_url", "scanner": "scanner_url",
          "scale": "scale_url"}


def terminal_of(session, store_code: str, code: str) -> Terminal:
    terminal = session.scalars(select(Terminal).join(Location, Location.id == Terminal.location_id)
                               .where(Location.code == store_code, Terminal.code == code)).one_or_none()
    if terminal is None:
        raise ApiProblem(404, "unknown-terminal", f"code: no till {code} at this store", field="code")
    return terminal


def field_for(name: str) -> str:
    if name not in FIELDS:
        raise ApiProblem(422, "unknown-device", f"name: {name} is none of {', '.join(FIELDS)}", field="name")
    return FIELDS[name]


def check_by_connecting(terminal, name: str, url: str, *, country: str, expected_vat: dict, device_dir: str,
                        allow_real_devices: bool, release=None) -> None:
    """Open the device at ``url`` as the till would (the fiscal printer's VAT table and clock checked too),
    then close it; a DeviceError says why it cannot be used.  ``release`` closes the till's current device
    first, so a port is not held twice while it is tried."""
    field = field_for(name)
    validate_url(name, url)
    trial_row = _Row(terminal, **{field: url})
    urls = resolve_urls(trial_row, country, device_dir)
    trial = Station(terminal.code, terminal.id, urls, language=terminal.language or "en",
                    expected_vat=expected_vat, allow_real_devices=allow_real_devices)
    if release is not None:
        release()
    try:
        trial.device(name, force=True)
        if name == "fiscal" and trial.fiscal_block is not None:
            raise trial.fiscal_block
    finally:
        trial.close()


def validate_url(name: str, url: str) -> None:
    """What can be told from the address alone (kept even unchecked): a DeviceError naming what is wrong."""
    try:
        address = parse_device_url(url)
    except ValueError as exc:
        raise DeviceError("bad_url", f"{url} is not a device URL: {exc}", "Write it as the README shows.") from exc
    if name == "printer" and address.scheme == "usb":
        from hardware.receipt_printer.connections import usb_endpoints, usb_ids

        usb_ids(address)
        usb_endpoints(address)


def set_device(session, terminal: Terminal, name: str, url: str) -> dict:
    field = field_for(name)
    before = getattr(terminal, field) or ""
    setattr(terminal, field, url)
    return {"name": name, "before": before, "url": url}


class _Row:
    """The terminal's device URLs with one changed, for a trial station (the row itself stays untouched)."""

    def __init__(self, terminal, **changed):
        self.code = terminal.code
        for field in FIELDS.values():
            setattr(self, field, changed.get(field, getattr(terminal, field)))
