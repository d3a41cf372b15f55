"""Which URLs a webhook may be sent to: a subscription must not turn HQ into a proxy into its own network.

Loopback, private, link-local (cloud metadata at 169.254.169.254), shared, reserved and multicast
addresses are refused — checked when subscribing and again before every delivery, since a name may
resolve elsewhere later — unless the operator allows private targets (POS_WEBHOOK_ALLOW_PRIVATE_TARGETS)."""
from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def refusal(url: str, allow_private: bool) -> str | None:
    """Why ``url`` may not receive webhooks, or None when it may."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "an http(s) URL with a host"
    if parts.username or parts.password:
        return "credentials in the URL are not allowed; use the signing secret"
    if allow_private:
        return None
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return f"the host {parts.hostname} does not resolve"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if getattr(ip, "ipv4_mapped", None):
            ip = ip.ipv4_mapped
        if not ip.is_global or ip.is_multicast:
            return (f"{parts.hostname} is a private, loopback, link-local or reserved address ({ip}); "
                    "only public hosts receive webhooks")
    return None
