"""Channel clients by name, so configuration can say ``channel = "allegro"``."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping, TypeVar

from marketplaces.base import ChannelClient

_FACTORIES: dict[str, Callable[..., ChannelClient]] = {}

# The built-in channels are imported on first use, not when the package loads.
_BUILTIN_MODULES = {
    "allegro": "marketplaces.allegro",
    "amazon": "marketplaces.amazon",
    "ebay": "marketplaces.ebay",
    "shopify": "marketplaces.shopify",
}

C = TypeVar("C", bound=type)


def register(name: str) -> Callable[[C], C]:
    """Class decorator: ``@register("allegro")`` makes ``get_client("allegro", ...)`` build it."""

    def decorate(cls: C) -> C:
        _FACTORIES[name] = cls.from_config  # type: ignore[attr-defined]
        cls.channel = name  # type: ignore[attr-defined]
        return cls

    return decorate


def available_channels() -> list[str]:
    return sorted(set(_FACTORIES) | set(_BUILTIN_MODULES))


def get_client(
    name: str, base_url: str, credentials: Mapping[str, str], **opts: Any
) -> ChannelClient:
    """Build the client for channel ``name`` talking to ``base_url``."""
    if name not in _FACTORIES and name in _BUILTIN_MODULES:
        importlib.import_module(_BUILTIN_MODULES[name])
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise KeyError(f"unknown sales channel {name!r}; known: {', '.join(available_channels())}") from None
    return factory(base_url, credentials, **opts)
