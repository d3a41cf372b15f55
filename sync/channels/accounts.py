"""Channel accounts from the environment (POS_CHANNEL_<NAME>_*), and one live client per channel.

A channel whose POS_CHANNEL_<NAME>_URL is empty is not configured: nothing is pushed to or pulled from it.
Credentials stay inside the marketplaces clients, which never log or repr them; this module only ever
reports which variables are missing, never their values."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from marketplaces import get_client
from marketplaces.http import RetryPolicy
from sync.stock.channels import MARKETPLACES

CHANNELS = MARKETPLACES  # allegro, amazon, ebay, shopify

# What each channel needs beyond its URL: (credential key, variable suffix).
_CREDENTIALS = {
    "allegro": (("client_id", "CLIENT_ID"), ("client_secret", "CLIENT_SECRET"), ("refresh_token", "REFRESH_TOKEN")),
    "amazon": (("client_id", "CLIENT_ID"), ("client_secret", "CLIENT_SECRET"), ("refresh_token", "REFRESH_TOKEN")),
    "ebay": (("client_id", "CLIENT_ID"), ("client_secret", "CLIENT_SECRET"), ("refresh_token", "REFRESH_TOKEN")),
    "shopify": (("access_token", "ACCESS_TOKEN"),),
}
_OPTIONS = {
    "amazon": (("seller_id", "SELLER_ID"), ("marketplace_id", "MARKETPLACE_ID"), ("product_type", "PRODUCT_TYPE")),
    "shopify": (("location_id", "LOCATION_ID"),),
}


def _setting(config, name: str, default: str = "") -> str:
    value = config.get(name)
    return default if value in (None, "") else str(value)


def _number(config, name: str, default: float) -> float:
    value = config.get(name)
    if value in (None, ""):
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a number, got {value!r}") from exc


@dataclass(frozen=True)
class Account:
    channel: str
    base_url: str
    credentials: dict = field(repr=False)
    options: dict = field(default_factory=dict)
    token_url: str | None = None

    def seed_hash(self) -> str | None:
        token = self.credentials.get("refresh_token")
        return hashlib.sha256(token.encode()).hexdigest() if token else None


def account(config, channel: str) -> Account | None:
    """The channel's account, or None when it is not configured; RuntimeError names a missing variable."""
    prefix = f"POS_CHANNEL_{channel.upper()}_"
    base_url = _setting(config, prefix + "URL")
    if not base_url:
        return None
    credentials, missing = {}, []
    for key, suffix in _CREDENTIALS[channel]:
        value = _setting(config, prefix + suffix)
        if not value:
            missing.append(prefix + suffix)
        credentials[key] = value
    options = {key: _setting(config, prefix + suffix) for key, suffix in _OPTIONS.get(channel, ())
               if _setting(config, prefix + suffix)}
    for needed in {"amazon": ("seller_id", "marketplace_id"), "shopify": ("location_id",)}.get(channel, ()):
        if needed not in options:
            missing.append(prefix + needed.upper())
    if missing:
        raise RuntimeError(f"{channel} is configured ({prefix}URL) but {', '.join(missing)} is not set")
    return Account(channel, base_url.rstrip("/"), credentials, options, _setting(config, prefix + "TOKEN_URL") or None)


def configured(config) -> list[str]:
    return [channel for channel in CHANNELS if _setting(config, f"POS_CHANNEL_{channel.upper()}_URL")]


def timing(config) -> dict:
    """Per-request timeout, retry budget and poll interval for every client, back-off cap and the
    pushers' pace (seconds)."""
    return {"timeout": _number(config, "POS_CHANNEL_TIMEOUT_SECONDS", 10.0),
            "retry_seconds": _number(config, "POS_CHANNEL_RETRY_SECONDS", 20.0),
            "poll": _number(config, "POS_CHANNEL_POLL_SECONDS", 0.25),
            "max_backoff": _number(config, "POS_CHANNEL_MAX_BACKOFF_SECONDS", 300.0),
            # the pushers: how often the ledger is looked at for a new feed, and the idle look-round
            "feed": _number(config, "POS_CHANNEL_FEED_SECONDS", 0.1),
            "idle": _number(config, "POS_CHANNEL_PUSH_IDLE_SECONDS", 2.0)}


class Clients:
    """One client per configured channel for the whole process (Allegro's rotating refresh token must
    live in exactly one place), plus a lock per channel so pushes and corrections never interleave."""

    def __init__(self, app):
        self.app = app
        self._clients: dict = {}
        self._guard = threading.Lock()
        self.locks = {channel: threading.Lock() for channel in CHANNELS}

    def get(self, channel: str):
        with self._guard:
            client = self._clients.get(channel)
            if client is None:
                client = self._build(channel)
                if client is not None:
                    self._clients[channel] = client
            return client

    def _build(self, channel: str):
        found = account(self.app.config, channel)
        if found is None:
            return None
        t = timing(self.app.config)
        retry = RetryPolicy(max_attempts=6, max_total_seconds=t["retry_seconds"], backoff_initial=0.25,
                            backoff_max=4.0, max_retry_after=t["retry_seconds"])
        options = dict(found.options)
        credentials = dict(found.credentials)
        if channel in ("allegro", "amazon", "ebay"):
            credentials["refresh_token"] = remembered_refresh_token(self.app, found) or credentials["refresh_token"]
            options["on_refresh_token"] = lambda token: remember_refresh_token(self.app, found, token)
            if found.token_url:
                options["token_url"] = found.token_url
        if channel in ("allegro", "amazon"):
            options.update(poll_interval=t["poll"], poll_timeout=max(60.0, t["retry_seconds"]))
        return get_client(channel, found.base_url, credentials, timeout=t["timeout"], retry=retry, **options)

    def close(self) -> None:
        with self._guard:
            for client in self._clients.values():
                client.close()
            self._clients.clear()


def clients(app) -> Clients:
    registry = app.extensions.get("sync.channels")
    if registry is None:
        registry = app.extensions.setdefault("sync.channels", Clients(app))
    return registry


def remembered_refresh_token(app, found: Account) -> str | None:
    from sync.channels.state import channel_state

    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        state = channel_state(uow.session, found.channel, create=False)
        if state is not None and state.refresh_token and state.refresh_token_seed == found.seed_hash():
            return state.refresh_token
    return None


def remember_refresh_token(app, found: Account, token: str) -> None:
    """Committed at once and on its own: losing a rotated token locks the shop out of the channel."""
    from sync.channels.state import channel_state

    with app.extensions["pos.db"].unit_of_work() as uow:
        state = channel_state(uow.session, found.channel)
        state.refresh_token, state.refresh_token_seed = token, found.seed_hash()
        uow.commit()
