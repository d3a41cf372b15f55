"""From a configured address to a fiscal device.

* ``/dev/ttyUSB0?baudrate=9600``, ``socket://10.0.0.5:6666`` → POSNET
* ``http://10.0.0.6:8888`` (``https://`` too) → Novitus NoviAPI
* ``nonfiscal://`` → no fiscal device (Czechia)
* ``checkbox+https://api.checkbox.ua?license=env:NAME&pin=env:NAME`` → Checkbox, the Ukrainian cloud PRRO
  (secrets from the environment: see ``checkbox.driver``)
* ``emulator://posnet?memory=/path/fm.json[&transport=tcp]`` and
  ``emulator://noviapi?memory=/path/fm.json`` → an emulator started in this
  process, owned by the returned printer (stopped by ``close()``)
* ``emulator://checkbox?memory=/path/checkbox.json&state=/path/book.json`` → the Checkbox emulator served on
  127.0.0.1 by this process (the demo's Ukrainian till), driven by the real Checkbox driver

Query options understood by the drivers: ``timeout`` (seconds per command),
``settle`` (seconds to wait for a busy device when deciding done/not done),
``encoding`` (POSNET code page, default cp1250), ``password`` (NoviAPI).
"""
from __future__ import annotations

from urllib.parse import urlencode

from hardware.device import DeviceError, parse_device_url

from .base import AttemptJournal, FiscalPrinter


def open_fiscal_printer(url: str, journal: AttemptJournal | None = None, **options) -> FiscalPrinter:
    address = parse_device_url(url)
    if address.scheme == "emulator":
        return _open_emulator(address, journal, **options)
    if address.scheme in ("checkbox+https", "checkbox+http"):
        from .checkbox import CheckboxPrinter
        printer = CheckboxPrinter(url, journal, **options)
    elif address.scheme in ("serial", "socket"):
        from .posnet.driver import PosnetPrinter
        printer = PosnetPrinter(url, journal, **options)
    elif address.scheme in ("http", "https"):
        from .novitus.driver import NoviApiPrinter
        printer = NoviApiPrinter(url, journal, **options)
    elif address.scheme in ("nonfiscal", "none"):
        from .nonfiscal import NonFiscalPrinter
        printer = NonFiscalPrinter(url, journal)
    else:
        raise DeviceError("bad_url", f"No fiscal driver for {url}",
                          "Use a serial path, socket://host:port (POSNET), http://host:port (NoviAPI) or nonfiscal://.")
    printer.open()
    return printer


def _open_emulator(address, journal, **options) -> FiscalPrinter:
    memory = address.options.get("memory")
    if not memory:
        raise DeviceError("bad_url", f"{address.raw} needs ?memory=/path/to/fiscal-memory.json",
                          "Add where the emulator keeps its fiscal memory.")
    if address.target == "checkbox":
        return _open_checkbox_emulator(address, journal, memory, **options)
    passthrough = {k: v for k, v in address.options.items() if k in ("timeout", "settle", "encoding")}
    if address.target == "posnet":
        from .posnet.emulator import start_posnet_emulator
        url, emulator = start_posnet_emulator(memory, address.options.get("transport", "pty"),
                                              **({"encoding": address.options["encoding"]}
                                                 if "encoding" in address.options else {}))
    elif address.target == "noviapi":
        from .novitus.emulator import start_noviapi_emulator
        url, emulator = start_noviapi_emulator(memory)
    else:
        raise DeviceError("bad_url", f"No emulator named {address.target!r}",
                          "Use emulator://posnet, emulator://noviapi or emulator://checkbox.")
    if passthrough:
        url += ("&" if "?" in url else "?") + urlencode(passthrough)
    return _open_with_emulator(url, emulator, journal, **options)


def _open_checkbox_emulator(address, journal, memory, **options) -> FiscalPrinter:
    """The demo's PRRO: the Checkbox emulator on 127.0.0.1, its licence key and cashier PIN made up for this
    process (never configured, never shown: the driver masks them), reached by the real driver over HTTP."""
    import secrets

    from simulators.checkbox import CheckboxEmulator
    from simulators.checkbox_spec import default_spec_path

    spec = default_spec_path()
    licence, pin = secrets.token_hex(16), str(secrets.randbelow(9000) + 1000)
    emulator = CheckboxEmulator(spec_path=spec if spec.exists() else None, validate=spec.exists(),
                                license_key=licence, pin_code=pin, memory=memory)
    base = emulator.start().replace("http://", "checkbox+http://")
    query = {"license": licence, "pin": pin,
             **{k: v for k, v in address.options.items()
                if k in ("state", "timeout", "settle", "retry", "codes", "warn", "device")}}
    return _open_with_emulator(f"{base}?{urlencode(query)}", emulator, journal, **options)


def _open_with_emulator(url: str, emulator, journal, **options) -> FiscalPrinter:
    """The printer at ``url`` owns the emulator serving it: closing one stops the other, and an emulator
    whose printer never opened is stopped at once."""
    try:
        printer = open_fiscal_printer(url, journal, **options)
    except BaseException:
        emulator.stop()
        raise
    printer.emulator = emulator
    original_close = printer._close

    def close_with_emulator():
        try:
            original_close()
        finally:
            emulator.stop()
    printer._close = close_with_emulator
    return printer
