"""The journeys' settings, from the node's settings (pos/config.py declares and documents each)."""
from __future__ import annotations

from dataclasses import dataclass


def _get(config, name: str, default: str = "") -> str:
    value = config.get(name)
    return default if value is None else str(value)


@dataclass(frozen=True)
class JourneySettings:
    public_url: str
    secret: str
    language: str
    timezone: str
    currency: str
    quiet_start: int  # hour, local to the customer
    quiet_end: int
    cap_messages: int  # marketing messages per customer and channel …
    cap_days: int  # … within this many days
    smtp_host: str
    smtp_port: int
    smtp_tls: str  # none | starttls | ssl
    smtp_ca_file: str  # empty: the system's CAs
    smtp_user: str
    smtp_password: str
    mail_from: str
    sms_gateway: str  # log | smsapi
    smsapi_url: str
    smsapi_token: str
    sms_from: str
    sms_max_parts: int
    lease_seconds: int
    max_attempts: int

    @classmethod
    def from_config(cls, config) -> "JourneySettings":
        from pos.countries import country
        from pos.terminal.i18n import default_language

        rules = country(config["POS_COUNTRY"])
        quiet = _get(config, "POS_JOURNEY_QUIET_HOURS", "21-8").split("-")
        cap = _get(config, "POS_JOURNEY_FREQUENCY_CAP", "3/7").split("/")
        return cls(
            public_url=_get(config, "POS_PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/"),
            secret=str(config.get("SECRET_KEY") or config.get("POS_SECRET_KEY") or ""),
            language=default_language(config), timezone=rules.timezone, currency=rules.currency,
            quiet_start=int(quiet[0]), quiet_end=int(quiet[1]),
            cap_messages=int(cap[0]), cap_days=int(cap[1]),
            smtp_host=_get(config, "POS_SMTP_HOST", ""), smtp_port=int(_get(config, "POS_SMTP_PORT", "25")),
            smtp_tls=_get(config, "POS_SMTP_TLS", "none"), smtp_ca_file=_get(config, "POS_SMTP_CA_FILE", ""),
            smtp_user=_get(config, "POS_SMTP_USER", ""),
            smtp_password=_get(config, "POS_SMTP_PASSWORD", ""),
            mail_from=_get(config, "POS_MAIL_FROM", "shop@localhost"),
            sms_gateway=_get(config, "POS_SMS_GATEWAY", "log"),
            smsapi_url=_get(config, "POS_SMSAPI_URL", "https://api.smsapi.pl").rstrip("/"),
            smsapi_token=_get(config, "POS_SMSAPI_TOKEN", ""), sms_from=_get(config, "POS_SMS_FROM", ""),
            sms_max_parts=int(_get(config, "POS_SMS_MAX_PARTS", "3")),
            lease_seconds=int(_get(config, "POS_JOURNEY_LEASE_SECONDS", "120")),
            max_attempts=int(_get(config, "POS_JOURNEY_MAX_ATTEMPTS", "8")),
        )
