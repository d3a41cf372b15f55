"""Node configuration, read from the environment when the app is created (never at import)."""
from __future__ import annotations

import os
from pathlib import Path

ROLES = ("store", "hq", "standalone")


def _int(env: dict, name: str, default: int) -> int:
    value = env.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be a whole number, got {value!r}") from exc


def _depot(value: str) -> str:
    if value.strip():
        try:
            lat, lon = (float(part) for part in value.split(","))
        except ValueError as exc:
            raise RuntimeError(f"POS_DISPATCH_DEPOT must be 'lat,lon', got {value!r}") from exc
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise RuntimeError(f"POS_DISPATCH_DEPOT is out of range: {value!r}")
    return value.strip()


def load_config(instance_path: str, env: dict | None = None) -> dict:
    """Every setting the node uses, with its default.  Documented in the README."""
    env = dict(os.environ if env is None else env)
    role = env.get("POS_ROLE", "standalone")
    if role not in ROLES:
        raise RuntimeError(f"POS_ROLE must be one of {', '.join(ROLES)}, got {role!r}")
    default_db = "sqlite:///" + str(Path(instance_path) / "pos.sqlite3")
    return {
        "POS_ROLE": role,
        "POS_DATABASE_URL": env.get("POS_DATABASE_URL", default_db),
        # Flask needs a key; a missing one is generated per process so nothing secret is in the repo,
        # at the price of logging out cashiers on restart.
        "SECRET_KEY": env.get("POS_SECRET_KEY") or os.urandom(32).hex(),
        "POS_STORE_CODE": env.get("POS_STORE_CODE", "S1"),
        "POS_STORE_NAME": env.get("POS_STORE_NAME", "Sklep Demo"),
        "POS_STORE_ADDRESS": env.get("POS_STORE_ADDRESS", "ul. Długa 1, 00-001 Warszawa"),
        "POS_STORE_TAX_ID": env.get("POS_STORE_TAX_ID", "PL5260250995"),
        "POS_COUNTRY": env.get("POS_COUNTRY", "PL"),
        "POS_LANGUAGE": env.get("POS_LANGUAGE", ""),
        "POS_DISCOUNT_LIMIT_PERCENT": _int(env, "POS_DISCOUNT_LIMIT_PERCENT", 10),
        "POS_PIN_ATTEMPTS": _int(env, "POS_PIN_ATTEMPTS", 5),
        "POS_PIN_LOCK_SECONDS": _int(env, "POS_PIN_LOCK_SECONDS", 300),
        "POS_TOKEN_HOURS": _int(env, "POS_TOKEN_HOURS", 12),
        # A request body larger than this is refused (413) before it is read; a store's push of 500 sales
        # is about 1.5 MB.
        "POS_MAX_BODY_BYTES": _int(env, "POS_MAX_BODY_BYTES", 16 * 1024 * 1024),
        # keys closer than this and ending in Enter are a keyboard-wedge scanner, not a person
        "POS_SCAN_GAP_MS": _int(env, "POS_SCAN_GAP_MS", 50),
        "POS_EMBEDDED_CODES": env.get(
            "POS_EMBEDDED_CODES",
            "20PPPPPWWWWWC,21PPPPPWWWWWC,22PPPPPWWWWWC,23PPPPPWWWWWC,24PPPPPWWWWWC,"
            "25PPPPPWWWWWC,26PPPPPWWWWWC,27PPPPPWWWWWC,28PPPPPMMMMMC,29PPPPPMMMMMC",
        ),
        # Only emulator:// device URLs are allowed when false (tests, CI): nothing can reach a real device.
        "POS_ALLOW_REAL_DEVICES": env.get("POS_ALLOW_REAL_DEVICES", "1") not in ("0", "false", "no"),
        "POS_DEVICE_DIR": env.get("POS_DEVICE_DIR", str(Path(instance_path) / "devices")),
        # How often the web process's device timer looks after each till's PRRO (back online, offline codes).
        "POS_FISCAL_UPKEEP_SECONDS": _int(env, "POS_FISCAL_UPKEEP_SECONDS", 30),
        # Stock for online channels: a store silent for longer is stale and contributes this share of its
        # spare stock (0 = nothing) until it syncs again.
        "POS_STALE_STORE_SECONDS": _int(env, "POS_STALE_STORE_SECONDS", 900),
        "POS_STALE_STORE_SHARE_PERCENT": _int(env, "POS_STALE_STORE_SHARE_PERCENT", 0),
        "POS_WEBHOOK_MAX_ATTEMPTS": _int(env, "POS_WEBHOOK_MAX_ATTEMPTS", 8),
        "POS_WEBHOOK_BACKOFF_SECONDS": _int(env, "POS_WEBHOOK_BACKOFF_SECONDS", 30),
        "POS_WEBHOOK_TIMEOUT_SECONDS": _int(env, "POS_WEBHOOK_TIMEOUT_SECONDS", 10),
        # Webhooks to loopback, private and link-local (cloud metadata) addresses are refused unless allowed.
        "POS_WEBHOOK_ALLOW_PRIVATE_TARGETS": env.get("POS_WEBHOOK_ALLOW_PRIVATE_TARGETS", "0") in ("1", "true", "yes"),
        # Store ↔ HQ replication (POS_ROLE=store): where HQ is and the token `flask stores add` printed there.
        "POS_HQ_URL": env.get("POS_HQ_URL", "").rstrip("/"),
        "POS_STORE_TOKEN": env.get("POS_STORE_TOKEN", ""),
        "POS_SYNC_BATCH": _int(env, "POS_SYNC_BATCH", 500),
        "POS_SYNC_SECONDS": _int(env, "POS_SYNC_SECONDS", 10),
        "POS_SYNC_MAX_BACKOFF_SECONDS": _int(env, "POS_SYNC_MAX_BACKOFF_SECONDS", 300),
        "POS_SYNC_TIMEOUT_SECONDS": _int(env, "POS_SYNC_TIMEOUT_SECONDS", 30),
        # The till waits at most this long for HQ when looking a customer up, then uses its own copy.
        "POS_HQ_LOOKUP_TIMEOUT_SECONDS": _int(env, "POS_HQ_LOOKUP_TIMEOUT_SECONDS", 2),
        # Where the couriers set out from ("lat,lon", e.g. "52.2297,21.0122"); empty = routes start at the first stop.
        "POS_DISPATCH_DEPOT": _depot(env.get("POS_DISPATCH_DEPOT", "")),
        # Marketplace accounts and timings (POS_CHANNEL_<NAME>_URL, …): read by sync/channels/accounts.py.
        **{name: value for name, value in env.items() if name.startswith("POS_CHANNEL_")},
    }
