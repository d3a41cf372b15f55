"""Checkbox's HTTP API as the till uses it: secrets from the environment, sign-in, one request with the
answer mapped to a DeviceError the cashier can act on, and waiting for a document to be done.

Every request carries the licence key (several operations demand it, none refuse it), the X-Device-ID
(Checkbox's guard against duplicates) and the client's name and version.
"""
from __future__ import annotations

import os
import time
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests

from hardware.device import DeviceError

SECRET_OPTIONS = ("license", "pin", "login", "password")
ENV_DEFAULTS = {"license": "CHECKBOX_LICENSE_KEY", "pin": "CHECKBOX_CASHIER_PIN",
                "login": "CHECKBOX_CASHIER_LOGIN", "password": "CHECKBOX_CASHIER_PASSWORD"}
CLIENT_NAME = "retail-pos"
CLIENT_VERSION = "1.0"
CONNECT_TIMEOUT = 3.0


class Unreachable(DeviceError):
    """Checkbox did not answer.  ``sent``: the request may have reached it (ambiguous) or surely not."""

    def __init__(self, message: str, *, sent: bool, completes: bool):
        super().__init__("checkbox_unreachable", message,
                         "Check the till's internet connection; sales go on offline within the law's limits.",
                         ambiguous=sent and completes)
        self.sent = sent


def secret(options: dict, name: str) -> str | None:
    """``env:NAME`` reads that variable; nothing given reads the default variable (CHECKBOX_…)."""
    value = options.get(name)
    if value and value.startswith("env:"):
        return os.environ.get(value[4:])
    return value or os.environ.get(ENV_DEFAULTS[name])


def secrets_of(url: str) -> dict[str, str | None]:
    options = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    return {name: secret(options, name) for name in SECRET_OPTIONS}


def redact(url: str) -> str:
    """The address without any secret written into it (for status pages and logs)."""
    parts = urlsplit(url)
    query = [(k, v if k not in SECRET_OPTIONS or v.startswith("env:") else "***")
             for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return parts._replace(query=urlencode(query, safe=":/*")).geturl()


class CheckboxClient:
    def __init__(self, base_url: str, secrets: dict, device_id: str, *, timeout: float, settle_timeout: float):
        self.base_url = base_url
        self.secrets = secrets
        self.device_id = device_id
        self.timeout = timeout
        self.settle_timeout = settle_timeout
        self._session: requests.Session | None = None
        self.token: str | None = None

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self.token = None

    def sign_in(self) -> None:
        if self.secrets["pin"]:
            answer = self.call("POST", "/cashier/signinPinCode", json={"pin_code": self.secrets["pin"]}, auth=False)
        else:
            answer = self.call("POST", "/cashier/signin", auth=False,
                               json={"login": self.secrets["login"], "password": self.secrets["password"]})
        self.token = answer["access_token"]

    def answers(self) -> bool:
        """Whether Checkbox answers now: one read on a connection of its own, so a timer may ask while a sale
        holds the till's session, and an unreachable Checkbox costs the connect timeout, not a sale's wait."""
        headers = {"X-Client-Name": CLIENT_NAME, "X-Client-Version": CLIENT_VERSION, "X-Device-ID": self.device_id,
                   "X-License-Key": self.secrets["license"]}
        try:
            response = requests.get(f"{self.base_url}/api/v1/cash-registers/info", headers=headers,
                                    timeout=(min(self.timeout, CONNECT_TIMEOUT), self.timeout))
        except requests.RequestException:
            return False
        return response.status_code < 500

    def wait(self, path: str, final: tuple[str, ...], *, ambiguous: bool) -> dict:
        deadline = time.monotonic() + self.settle_timeout
        while True:
            answer = self.call("GET", path, completes=ambiguous)
            if answer["status"] in final:
                return answer
            if time.monotonic() > deadline:
                raise DeviceError("busy", "Checkbox has not finished the document yet.",
                                  "Wait a moment, then retry: the till asks Checkbox what it has first.",
                                  ambiguous=ambiguous)
            time.sleep(0.2)

    def call(self, method: str, path: str, *, json=None, params=None, auth: bool = True,
             completes: bool = False, _again: bool = True):
        if self._session is None:
            self._session = requests.Session()
        # the licence key goes with every request: several operations demand it, none refuse it
        headers = {"X-Client-Name": CLIENT_NAME, "X-Client-Version": CLIENT_VERSION, "X-Device-ID": self.device_id,
                   "X-License-Key": self.secrets["license"]}
        if auth:
            if self.token is None:
                self.sign_in()
            headers["Authorization"] = f"Bearer {self.token}"
        url = f"{self.base_url}/api/v1{path}"
        try:
            # a short connect timeout: an unreachable Checkbox must cost the till seconds, not the read timeout
            response = self._session.request(method, url, json=json, params=params, headers=headers,
                                             timeout=(min(self.timeout, CONNECT_TIMEOUT), self.timeout))
        except requests.RequestException as exc:
            sent = not _never_sent(exc)
            raise Unreachable(f"Checkbox did not answer {method} {path}: {exc.__class__.__name__}.",
                              sent=sent, completes=completes) from exc
        if response.status_code in (401, 403) and auth and _again:
            self.sign_in()
            return self.call(method, path, json=json, params=params, auth=auth, completes=completes, _again=False)
        try:
            body = response.json() if response.content else {}
        except ValueError as exc:
            raise DeviceError("garbled_reply", f"Checkbox's answer to {method} {path} was damaged.",
                              "Retry: the till asks Checkbox what it has first.", ambiguous=completes) from exc
        if response.status_code < 300:
            return body
        message = body.get("message", "") if isinstance(body, dict) else ""
        if response.status_code == 404:
            raise DeviceError("not_found", f"Checkbox does not know {path}.", "Call support.")
        if response.status_code in (401, 403):
            raise DeviceError("unauthorised", f"Checkbox refused the till's credentials: {message}",
                              "Check the licence key and the cashier's PIN or login in the till's environment.")
        if response.status_code == 422:
            raise DeviceError("checkbox_rejected", f"Checkbox rejected the request: {message}",
                              "Call support: the till sent data Checkbox does not accept.")
        if response.status_code < 500:
            raise DeviceError("checkbox_refused", f"Checkbox refused: {message}",
                              "Read Checkbox's reason; correct and retry.")
        raise DeviceError("checkbox_error", f"Checkbox answered {response.status_code}: {message}",
                          "Retry in a moment; the till asks Checkbox what it has first.", ambiguous=completes)



def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection was never made, so Checkbox cannot have acted."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    text = repr(exc)
    return isinstance(exc, requests.ConnectionError) and ("NewConnectionError" in text or "Connection refused" in text
                                                          or "NameResolution" in text)
