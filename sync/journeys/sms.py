"""SMS: length counted in GSM-7 or UCS-2 before sending; SMSAPI.pl over HTTP, or the log for the demo.

SMSAPI (https://api.smsapi.pl/sms.do): POST form fields to, message, from, encoding=utf-8, format=json,
idx (our outbox key) with check_idx=1 so the gateway itself refuses a second message with the same idx;
Authorization: Bearer <OAuth token>.  Answers {"count", "list": [{"id", "points", "number", "status", …}]}
or {"error": code, "message": …}."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import requests

from sync.journeys.mail import SendFailed

log = logging.getLogger("sync.journeys.sms")

GSM_BASIC = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM_EXTENDED = set("^{}\\[~]|€\f")  # two septets each (escape + character)


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # gsm7 | ucs2
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    parts: int


def measure(text: str) -> SmsLength:
    if all(ch in GSM_BASIC or ch in GSM_EXTENDED for ch in text):
        units = sum(2 if ch in GSM_EXTENDED else 1 for ch in text)
        return SmsLength("gsm7", units, 1 if units <= 160 else -(-units // 153))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("ucs2", units, 1 if units <= 70 else -(-units // 67))


class LogGateway:
    """The demo's gateway: the text goes to the log (and the outbox row), nowhere else."""

    def send(self, phone: str, text: str, idx: str) -> str:
        log.info("SMS to %s (%s): %s", phone, idx, text)
        return "logged"


class SmsApiGateway:
    DUPLICATE_IDX = {53}  # the gateway's answer to an idx it has already sent: our earlier try went

    def __init__(self, base_url: str, token: str, sender: str = "", timeout: float = 15):
        self.base_url, self.token, self.sender, self.timeout = base_url.rstrip("/"), token, sender, timeout

    def send(self, phone: str, text: str, idx: str) -> str:
        if not self.token:
            raise SendFailed("POS_SMSAPI_TOKEN is not set")
        form = {"to": phone.lstrip("+"), "message": text, "encoding": "utf-8", "format": "json",
                "idx": idx, "check_idx": "1"}
        if self.sender:
            form["from"] = self.sender
        try:
            response = requests.post(f"{self.base_url}/sms.do", data=form, timeout=self.timeout,
                                     headers={"Authorization": f"Bearer {self.token}"})
        except requests.RequestException as exc:
            raise SendFailed(f"SMSAPI: {exc.__class__.__name__}") from None
        if response.status_code >= 500:
            raise SendFailed(f"SMSAPI: HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SendFailed(f"SMSAPI: HTTP {response.status_code}, not JSON") from None
        if "error" in body:
            if body["error"] in self.DUPLICATE_IDX:
                return "smsapi: already sent under this idx"
            # The account's problems (auth, balance) may be fixed by a person; a bad number will not.
            raise SendFailed(f"SMSAPI error {body['error']}", final=body["error"] in (11, 13, 14))
        sent = (body.get("list") or [{}])[0]
        return f"smsapi {sent.get('id')} {sent.get('status')} ({sent.get('points')} points)"


def gateway(settings):
    if settings.sms_gateway == "smsapi":
        return SmsApiGateway(settings.smsapi_url, settings.smsapi_token, settings.sms_from)
    return LogGateway()
