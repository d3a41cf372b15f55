"""The node's tills and their devices: built by the app factory (nothing opened then), started by the
first request of the web process (so the worker process and the CLI never touch a device)."""
from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from pos.devices.events import TerminalEvents
from pos.devices.station import Station, resolve_urls
from pos.stores.models import Location, Terminal

log = logging.getLogger("pos.devices")


class DeviceHub:
    def __init__(self, db, config: dict, settings):
        self.db = db
        self.settings = settings
        self.store_code = config["POS_STORE_CODE"]
        self.device_dir = config["POS_DEVICE_DIR"]
        self.allow_real_devices = bool(config["POS_ALLOW_REAL_DEVICES"])
        self.timezone = settings.country.timezone
        self.events = TerminalEvents()
        self.stations: dict[str, Station] = {}
        self.scan_handler = None  # set by the scanner wiring: handler(hub, terminal_code, code)
        self.reconnect_max = float(config.get("POS_FISCAL_RECONNECT_MAX", 30.0))
        self.upkeep_seconds = float(config.get("POS_FISCAL_UPKEEP_SECONDS", 30.0))
        self._lock = threading.Lock()
        self._started = False
        self._timer = None

    # tills ------------------------------------------------------------------------------
    def station(self, terminal) -> Station:
        """The till's devices for this Terminal row; reopened when its device URLs changed."""
        urls = resolve_urls(terminal, self.settings.country.code, self.device_dir)
        with self._lock:
            found = self.stations.get(terminal.code)
            if found is not None and found.urls == urls and found.terminal_id == terminal.id:
                return found
            stale, found = found, Station(terminal.code, terminal.id, urls, language=terminal.language or "en",
                                          expected_vat=self.settings.country.vat_rates,
                                          allow_real_devices=self.allow_real_devices,
                                          on_scan=self._scan_callback(terminal.code))
            found.reconnect_max = self.reconnect_max
            self.stations[terminal.code] = found
        if stale is not None:
            with stale.lock:
                stale.close()
        return found

    def station_for(self, terminal_id) -> Station:
        with self.db.unit_of_work(read_only=True) as uow:
            terminal = uow.session.get(Terminal, terminal_id)
        return self.station(terminal)

    def terminals(self) -> list[Terminal]:
        with self.db.unit_of_work(read_only=True) as uow:
            return list(uow.session.scalars(select(Terminal).join(Location, Location.id == Terminal.location_id)
                                            .where(Location.code == self.store_code).order_by(Terminal.code)))

    def _scan_callback(self, code: str):
        def on_scan(scanned: str) -> None:
            if self.scan_handler is not None:
                self.scan_handler(self, code, scanned)
        return on_scan

    # life cycle -------------------------------------------------------------------------
    def start_once(self, *, background: bool = True) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        self._start_timer()
        if background:
            threading.Thread(target=self.start_up, name="devices start-up", daemon=True).start()
        else:
            self.start_up()

    def start_up(self) -> None:
        """Open each till's devices (the fiscal check runs on opening), settle what the last run left
        half-done, start the scanners.  A failing device is recorded; it never stops the node."""
        from pos.devices.services import FiscalQueue

        try:
            terminals = self.terminals()
        except Exception:  # e.g. the database is not migrated yet: devices wait for the next start
            log.exception("device start-up could not read the terminals")
            return
        for terminal in terminals:
            station = self.station(terminal)
            for name in ("printer", "display", "scanner"):
                try:
                    station.device(name, force=True)
                except Exception:
                    log.warning("%s of %s is not available at start-up", name, terminal.code)
            try:
                outcome = FiscalQueue(self.db, station).settle()
            except Exception:
                log.exception("settling the fiscal queue of %s failed", terminal.code)
                continue
            waiting = [str(sale) for sale, fault in outcome.items() if fault]
            if waiting:
                log.warning("%s: %d sale(s) still wait for the fiscal printer", terminal.code, len(waiting))

    def _start_timer(self) -> None:
        """The web process's own timer for device upkeep (it owns the devices; the worker process never
        opens one): a PRRO goes back online and keeps its offline codes by itself."""
        from apscheduler.schedulers.background import BackgroundScheduler

        timer = BackgroundScheduler(timezone="UTC", daemon=True)
        timer.add_job(self.fiscal_upkeep, "interval", seconds=self.upkeep_seconds, id="fiscal_upkeep",
                      max_instances=1, coalesce=True)
        timer.start()
        self._timer = timer

    def fiscal_upkeep(self) -> None:
        from pos.devices.prro import keep_up

        for station in list(self.stations.values()):
            try:
                keep_up(station)
            except Exception:  # one till's failure must not stop the others' upkeep (next turn tries again)
                log.exception("fiscal upkeep of %s failed", station.code)

    def close(self) -> None:
        """Close every till's devices and stop the timer: the hub is as before its start (a restart)."""
        with self._lock:
            timer, self._timer, self._started = self._timer, None, False
        if timer is not None:
            timer.shutdown(wait=True)
        with self._lock:
            stations, self.stations = list(self.stations.values()), {}
        for station in stations:
            with station.lock:
                station.close()
