"""Sales channels (Allegro, Amazon, eBay, Shopify): one client per channel.

A plain library: requests only, no Flask, no SQLAlchemy, no import of ``pos``
or ``sync``. Every client takes its base URL from the caller, so configuration
can point it at production, a sandbox or one of the fake servers in
:mod:`marketplaces.fakes`.
"""

from marketplaces.base import (
    ChannelClient,
    ChannelError,
    ChannelOrder,
    DeliveryAddress,
    OrderLine,
    OrderState,
    PushResult,
    QuantityUpdate,
    SkuOutcome,
)
from marketplaces.registry import available_channels, get_client, register

__all__ = [
    "ChannelClient",
    "ChannelError",
    "ChannelOrder",
    "DeliveryAddress",
    "OrderLine",
    "OrderState",
    "PushResult",
    "QuantityUpdate",
    "SkuOutcome",
    "available_channels",
    "get_client",
    "register",
]
