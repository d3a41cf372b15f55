"""Node configuration: every environment variable the node reads, with its default, type and meaning.

Read when the app (or the worker, or gunicorn) starts, never at import.  The README's configuration table
is this class; a wrong value stops the start with the variable's name and what to write instead."""
from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

ROLES = ("store", "hq", "standalone")
DEFAULT_EMBEDDED_CODES = ("20PPPPPWWWWWC,21PPPPPWWWWWC,22PPPPPWWWWWC,23PPPPPWWWWWC,24PPPPPWWWWWC,"
                          "25PPPPPWWWWWC,26PPPPPWWWWWC,27PPPPPWWWWWC,28PPPPPMMMMMC,29PPPPPMMMMMC")


class ConfigurationError(RuntimeError):
    """One line per wrong variable: its name, what was wrong, what it got."""


class NodeSettings(BaseSettings):
    """Each field is the variable ``POS_<FIELD>`` (``PORT``/``HOST`` are accepted for the web server too)."""

    model_config = SettingsConfigDict(env_prefix="POS_", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True)

    # --- the node
    role: Literal["store", "hq", "standalone"] = Field(
        "standalone", description="store (tills, devices, SQLite), hq (PostgreSQL) or standalone (both, SQLite)")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL: SQLite (WAL, synchronous=FULL, BEGIN IMMEDIATE) or "
                    "postgresql+psycopg://user@host:5432/db; empty = instance/pos.sqlite3")
    # Flask needs a key; a missing one is generated per process so nothing secret is in the repository,
    # at the price of logging cashiers out on restart.
    secret_key: SecretStr | None = Field(None, description="Flask's secret; empty = random per process (cashiers "
                                                          "log in again after a restart); set it in production")
    store_code: str = Field("S1", description="this node's store")
    store_name: str = Field("Sklep Demo", description="printed on receipts")
    store_address: str = Field("ul. Długa 1, 00-001 Warszawa", description="printed on receipts")
    store_tax_id: str = Field("PL5260250995", description="printed on receipts")
    country: str = Field("PL", description="PL, CZ or UA: currency, VAT, cash rounding, default language")
    language: str = Field("", description="the till's language when it has none (pl, cs, uk, en); "
                                          "empty = the country's")

    # --- selling and staff
    discount_limit_percent: int = Field(10, ge=0, le=100, description="a bigger discount needs a manager's PIN")
    pin_attempts: int = Field(5, ge=1, description="wrong PINs before a login is locked")
    pin_lock_seconds: int = Field(300, ge=0, description="how long a locked login stays locked")
    token_hours: int = Field(12, ge=1, description="how long a cashier's login lasts")
    # Secure: sent over HTTPS only (browsers make an exception for localhost); 0 only for a node reached over
    # plain HTTP on a closed network.
    office_secure_cookie: bool = Field(True, description="the back office's session cookie is Secure")
    office_session_hours: int = Field(10, ge=1, description="how long a back-office sign-in lasts")
    # A store's push of 500 sales is about 1.5 MB.
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024, description="a larger request body is refused (413)")
    # Keys closer than this and ending in Enter are a keyboard-wedge scanner, not a person.
    scan_gap_ms: int = Field(50, ge=1, description="keyboard-wedge scanner detection on the till's page")
    embedded_codes: str = Field(DEFAULT_EMBEDDED_CODES, description="in-store code layouts (GS1 20–29), see "
                                                                   "*Catalogue*")

    # --- devices
    # Only emulator:// device URLs are allowed when false (tests, CI): nothing can reach a real device.
    allow_real_devices: bool = Field(True, description="false allows only emulator:// devices")
    device_dir: str | None = Field(None, description="where emulated devices keep files; empty = instance/devices")
    device_startup: bool | None = Field(None, description="open the tills' devices when the app starts "
                                                          "(empty = yes, except under tests)")
    fiscal_reconnect_max: float = Field(30.0, gt=0, description="longest wait (s) between fiscal printer "
                                                                "reconnects")
    # The web process's device timer: a PRRO back online, its offline receipts sent, its offline codes topped up.
    fiscal_upkeep_seconds: int = Field(30, ge=1, description="how often each till's PRRO is looked after")

    # --- stock for online channels, webhooks
    # A store silent for longer is stale and contributes this share of its spare stock until it syncs again.
    stale_store_seconds: int = Field(900, ge=1, description="a store not heard from for longer is stale")
    stale_store_share_percent: int = Field(0, ge=0, le=100, description="share of a stale store's stock shown")
    # A late store's fast sellers are offered less what it has likely sold since HQ last heard from it.
    sales_buffer_grace_seconds: int = Field(60, ge=0, description="a store heard from this recently has no "
                                                                  "sales buffer")
    sales_rate_window_seconds: int = Field(4 * 3600, ge=1, description="the window a store's sales rate per "
                                                                       "SKU is measured over")
    webhook_max_attempts: int = Field(8, ge=1, description="webhook deliveries before giving up")
    webhook_backoff_seconds: int = Field(30, ge=0, description="first webhook retry delay, doubled each time")
    webhook_timeout_seconds: int = Field(10, ge=1, description="one webhook request's timeout")
    # Loopback, private and link-local (cloud metadata) targets are refused unless allowed.
    webhook_allow_private_targets: bool = Field(False, description="let webhooks reach private addresses")

    # --- store ↔ HQ replication
    hq_url: str = Field("", description="HQ's address, for POS_ROLE=store")
    store_token: SecretStr = Field(SecretStr(""), description="the token `flask stores add` printed at HQ")
    sync_batch: int = Field(500, ge=1, description="changes per push")
    sync_seconds: int = Field(10, ge=1, description="how often the worker syncs")
    sync_max_backoff_seconds: int = Field(300, ge=1, description="longest back-off while HQ is unreachable")
    sync_timeout_seconds: int = Field(30, ge=1, description="one sync request's timeout")
    # The till waits at most this long for HQ when looking a customer up, then uses its own copy.
    hq_lookup_timeout_seconds: int = Field(2, ge=0, description="customer lookup wait at HQ")

    # --- gift cards (HQ holds the balance)
    gift_card_valid_days: int = Field(365, ge=1, le=3650, description="a gift card sold or issued is valid this "
                                                                      "many days")
    gift_card_offline_allowance: int = Field(10_000, ge=0, description="per card, minor units a store may spend "
                                                                       "while HQ is unreachable (leased at HQ)")
    gift_card_lease_hours: int = Field(72, ge=1, description="a store's offline allowance on a card lasts this "
                                                             "long after its last online use")

    # --- dispatch
    dispatch_depot: str = Field("", description="where couriers set out from, 'lat,lon'; empty = first stop")

    # --- marketplaces (HQ); accounts are POS_CHANNEL_<NAME>_URL and its credentials, see the README
    channel_timeout_seconds: float = Field(10.0, gt=0, description="one marketplace request's timeout")
    channel_retry_seconds: float = Field(20.0, ge=0, description="retry budget of one marketplace call")
    channel_poll_seconds: float = Field(0.25, gt=0, description="marketplace clients' poll interval")
    channel_max_backoff_seconds: float = Field(300.0, gt=0, description="longest back-off for a marketplace")
    channel_feed_seconds: float = Field(0.1, gt=0, description="how often pushers look for a new stock feed")
    channel_push_idle_seconds: float = Field(2.0, gt=0, description="pushers' idle look-round")

    # --- HQ's task engine (Procrastinate on HQ's PostgreSQL; stores and standalone keep APScheduler)
    engine_concurrency: int = Field(4, ge=1, le=64, description="jobs one HQ worker process runs at once "
                                                               "(start more processes for more)")
    engine_heartbeat_seconds: float = Field(10.0, gt=0, description="how often an HQ worker says it is alive")
    engine_stalled_seconds: float = Field(30.0, gt=0, description="an HQ worker silent this long is dead: its "
                                                                  "jobs are run again by another")
    engine_shutdown_seconds: float = Field(60.0, gt=0, description="on TERM an HQ worker finishes its jobs for "
                                                                   "at most this long")

    # --- customer journeys (HQ): messages, consent, survey links
    public_url: str = Field("http://127.0.0.1:5000", description="the node's address in survey and unsubscribe "
                                                                 "links (set POS_SECRET_KEY the same for app and "
                                                                 "worker)")
    journey_quiet_hours: str = Field("21-8", pattern=r"^\d{1,2}-\d{1,2}$",
                                     description="no marketing message between these hours, the customer's time")
    journey_frequency_cap: str = Field("3/7", pattern=r"^\d+/\d+$",
                                       description="at most N marketing messages per customer and channel in D days")
    journey_lease_seconds: int = Field(120, ge=1, description="a claimed step is retried after this")
    journey_max_attempts: int = Field(8, ge=1, description="sends of one message before it is given up")
    smtp_host: str = Field("", description="mail server; empty = messages only logged (the demo)")
    smtp_port: int = Field(25, ge=1, le=65535, description="mail server port")
    smtp_tls: Literal["none", "starttls", "ssl"] = Field("none", description="none, starttls or ssl")
    smtp_ca_file: str = Field("", description="CA certificates (PEM) the mail server's TLS certificate is checked "
                                              "against; empty = the system's")
    smtp_user: str = Field("", description="mail server login")
    smtp_password: str = Field("", description="mail server password (from the environment only)")
    mail_from: str = Field("shop@localhost", description="sender of the shop's e-mails")
    sms_gateway: Literal["log", "smsapi"] = Field("log", description="log (the demo) or smsapi (SMSAPI.pl)")
    smsapi_url: str = Field("https://api.smsapi.pl", description="SMSAPI's address")
    smsapi_token: str = Field("", description="SMSAPI OAuth token (from the environment only)")
    sms_from: str = Field("", description="SMS sender name registered at the gateway")
    sms_max_parts: int = Field(3, ge=1, le=10, description="longer texts are refused before sending")

    # --- serving and logs (gunicorn and the worker)
    host: str = Field("127.0.0.1", validation_alias=AliasChoices("POS_HOST", "HOST"),
                      description="address `make run` serves on (0.0.0.0 = every interface)")
    port: int = Field(5000, ge=1, le=65535, validation_alias=AliasChoices("POS_PORT", "PORT"),
                      description="port `make run` serves on")
    web_threads: int = Field(32, ge=1, description="gunicorn threads (one process: a till's devices "
                                                   "belong to one process)")
    web_workers: int = Field(1, ge=1, le=64, description="gunicorn processes at HQ (a store or standalone node "
                                                         "always runs one: a till's devices belong to one process)")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="the node's own loggers; libraries log warnings and worse only")
    log_format: Literal["text", "json"] = Field("text", description="json: one JSON object per line")
    access_log: bool = Field(False, description="log every HTTP request (query secrets redacted)")
    metrics_token: SecretStr = Field(SecretStr(""), description="bearer token for /metrics; empty = "
                                                                "loopback scrapers only")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value):
        return value.upper() if isinstance(value, str) else value

    @field_validator("web_workers")
    @classmethod
    def _one_secret_for_all_processes(cls, value: int, info) -> int:
        if value > 1 and info.data.get("role") == "hq" and not info.data.get("secret_key"):
            raise ValueError("above 1 needs POS_SECRET_KEY: each process would sign sign-ins with a random key "
                             "of its own")
        return value

    @field_validator("hq_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("dispatch_depot")
    @classmethod
    def _depot(cls, value: str) -> str:
        value = value.strip()
        if value:
            try:
                lat, lon = (float(part) for part in value.split(","))
            except ValueError:
                raise ValueError("must be 'lat,lon', e.g. '52.2297,21.0122'") from None
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError("is out of range: latitude −90…90, longitude −180…180")
        return value

    def flask_config(self, instance_path: str, env: Mapping[str, str]) -> dict:
        """The app.config keys the code reads: ``POS_<FIELD>`` and Flask's ``SECRET_KEY``."""
        config = {f"POS_{name.upper()}": value for name, value in self if name not in ("secret_key",)}
        config["POS_STORE_TOKEN"] = self.store_token.get_secret_value()
        config["POS_METRICS_TOKEN"] = self.metrics_token.get_secret_value()
        config["POS_DATABASE_URL"] = self.database_url or "sqlite:///" + str(Path(instance_path) / "pos.sqlite3")
        config["POS_DEVICE_DIR"] = self.device_dir or str(Path(instance_path) / "devices")
        if self.device_startup is None:
            del config["POS_DEVICE_STARTUP"]  # the app decides: on, except under tests
        config["SECRET_KEY"] = self.secret_key.get_secret_value() if self.secret_key else os.urandom(32).hex()
        # Marketplace accounts (POS_CHANNEL_<NAME>_URL, credentials): read by sync/channels/accounts.py.
        config.update({name: value for name, value in env.items()
                       if name.startswith("POS_CHANNEL_") and name not in config})
        return config


class _MappingSource(EnvSettingsSource):
    """The environment source, reading a given mapping instead of os.environ (tests, tools)."""

    def __init__(self, settings_cls, env: Mapping[str, str]):
        self._mapping = env
        super().__init__(settings_cls)

    def _load_env_vars(self):
        return parse_env_vars(self._mapping, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


_given_env: ContextVar[Mapping[str, str] | None] = ContextVar("pos_settings_env", default=None)


class _FromGivenEnv(NodeSettings):
    """NodeSettings read from the mapping read_settings was given (declared once: a class costs milliseconds)."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, _MappingSource(settings_cls, _given_env.get()))


def read_settings(env: Mapping[str, str] | None = None) -> NodeSettings:
    """The node's settings from ``env`` (default: the process environment); ConfigurationError names
    every wrong variable at once."""
    token = _given_env.set(os.environ if env is None else env)
    try:
        return _FromGivenEnv()
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc)) from None
    finally:
        _given_env.reset(token)


def _explain(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper()
        name = name if name.startswith("POS_") or name in ("HOST", "PORT") else "POS_" + name
        got = error.get("input")
        shown = "" if isinstance(got, dict) or "SECRET" in name or "TOKEN" in name else f", got {got!r}"
        lines.append(f"{name}: {_reason(error)}{shown}")
    return "; ".join(lines)


def _reason(error: dict) -> str:
    kind = error["type"]
    context = error.get("ctx") or {}
    if kind in ("int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind == "float_parsing":
        return "must be a number"
    if kind == "bool_parsing":
        return "must be 1/0, true/false or yes/no"
    if kind == "literal_error":
        return "must be one of " + context.get("expected", "").replace("'", "")
    if kind == "value_error":
        return str(context.get("error", error["msg"]))
    return error["msg"].lower()


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict:
    """The Flask config of a node: every setting with its default (see NodeSettings)."""
    env = os.environ if env is None else env
    return read_settings(env).flask_config(instance_path, env)


def settings_table() -> str:
    """The README's configuration table, from the declarations above (a test keeps the two the same)."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in NodeSettings.model_fields.items():
        aliases = getattr(field.validation_alias, "choices", None)
        variable = " or ".join(f"`{alias}`" for alias in aliases) if aliases else f"`POS_{name.upper()}`"
        default = field.default.get_secret_value() if isinstance(field.default, SecretStr) else field.default
        shown = "–" if default in (None, "") else f"`{str(default).lower() if isinstance(default, bool) else default}`"
        rows.append(f"| {variable} | {shown} | {field.description} |")
    return "\n".join(rows)
