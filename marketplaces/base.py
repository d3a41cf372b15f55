"""The interface every sales-channel client keeps, and the values it trades in."""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, NamedTuple, Sequence

from marketplaces.errors import ChannelAuthError, ChannelError, ChannelUnavailable  # noqa: F401
from marketplaces.http import ChannelSession


class QuantityUpdate(NamedTuple):
    """Stock we want the channel to show for one listing.

    ``version`` is the quantity we believe the channel shows now; channels with
    compare-and-set (Shopify) refuse the write when it is stale. None skips the
    check.
    """

    sku: str
    listing_id: str
    quantity: int
    version: int | None = None


@dataclass(frozen=True)
class SkuOutcome:
    sku: str
    listing_id: str
    quantity: int
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass
class PushResult:
    """Per-SKU outcome of a push; a batch that half fails is reported per SKU."""

    outcomes: list[SkuOutcome] = field(default_factory=list)

    @property
    def succeeded(self) -> list[SkuOutcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[SkuOutcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    def by_sku(self) -> dict[str, SkuOutcome]:
        return {o.sku: o for o in self.outcomes}

    def add_ok(self, update: QuantityUpdate) -> None:
        self.outcomes.append(SkuOutcome(update.sku, update.listing_id, update.quantity, True))

    def add_failed(self, update: QuantityUpdate, code: str, message: str) -> None:
        self.outcomes.append(
            SkuOutcome(update.sku, update.listing_id, update.quantity, False, code, message)
        )


@dataclass(frozen=True)
class OrderLine:
    sku: str | None
    listing_id: str | None
    quantity: int
    unit_price: int  # minor units of ``currency``
    currency: str
    name: str | None = None


@dataclass(frozen=True)
class DeliveryAddress:
    name: str | None = None
    company: str | None = None
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country_code: str | None = None
    phone: str | None = None


class OrderState:
    """What an order means for our stock, whatever the channel calls its statuses.

    ``pending``: placed but not paid (or payment not authorised): takes no stock yet.
    ``paid``: the buyer has paid: the units are taken.
    ``cancelled``: cancelled or voided: the units are given back (or never taken).
    ``refunded``: refunded or returned in full: handled like a store return.
    """

    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


@dataclass(frozen=True)
class ChannelOrder:
    """An order as the channel reported it; ``channel_order_id`` is the idempotency key,
    ``status`` the channel's own word, ``state`` what it means for stock (:class:`OrderState`)."""

    channel: str
    channel_order_id: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    status: str | None
    buyer_email: str | None
    buyer_phone: str | None
    buyer_name: str | None
    lines: tuple[OrderLine, ...]
    delivery_method: str | None = None
    delivery_address: DeliveryAddress | None = None
    state: str = OrderState.PAID


# Given a channel order id, the channel status of the copy already imported (None: never seen).
KnownOrders = Callable[[str], "str | None"]


class ChannelClient(abc.ABC):
    """One sales channel. Subclasses register themselves in :mod:`marketplaces.registry`."""

    channel: str = ""

    def __init__(self, session: ChannelSession):
        self.session = session

    @property
    def retries(self) -> int:
        """How many times a request was sent again (429, 5xx, timeouts) since creation."""
        return self.session.retries

    @abc.abstractmethod
    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult: ...

    @abc.abstractmethod
    def read_quantities(self, listing_ids: Iterable[str]) -> dict[str, int]: ...

    @abc.abstractmethod
    def pull_orders(self, cursor: str | None, known: KnownOrders | None = None) -> tuple[list[ChannelOrder], str | None]:
        """Orders changed since ``cursor`` and the cursor to continue from. Windows may be inclusive,
        so an order can come again: import by channel order id. ``known`` lets a client skip work
        for orders already imported unchanged (Amazon reads items only for new or changed orders)."""

    def close(self) -> None:
        self.session.close()


TokenSaver = Callable[[str], None]
Credentials = Mapping[str, str]
