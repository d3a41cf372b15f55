"""eBay Sell APIs client (Inventory v1 for stock, Fulfillment v1 for orders).

Quantities: ``bulkUpdatePriceQuantity`` with at most 25 inventory items (and 25 offers) a
call, each item and its published offers set to an absolute quantity (so a retry is harmless):
buyers see the offer's ``availableQuantity``, so the offers (found once per SKU with
``getOffers``) are updated with the item.
For eBay the listing id is the inventory item's SKU.
Orders: ``getOrders`` with ``filter=lastmodifieddate:[cursor..]``, page after page by the ``next`` URI
eBay hands back (never an offset of our own making).
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Callable, Iterable, Mapping, Sequence

from marketplaces.auth import RefreshTokenAuth, require
from marketplaces.base import (
    ChannelClient,
    ChannelOrder,
    DeliveryAddress,
    KnownOrders,
    OrderLine,
    OrderState,
    PushResult,
    QuantityUpdate,
)
from marketplaces.batching import coalesce_updates, dedupe_orders, iso_z, later_cursor, parse_time
from marketplaces.errors import ChannelError
from marketplaces.http import ChannelSession, RetryPolicy
from marketplaces.money import to_minor_units
from marketplaces.registry import register

INVENTORY = "/sell/inventory/v1"
FULFILLMENT = "/sell/fulfillment/v1"
MAX_ITEMS_PER_BULK_CALL = 25
ORDERS_PAGE = 200
DEFAULT_SCOPE = (
    "https://api.ebay.com/oauth/api_scope/sell.inventory "
    "https://api.ebay.com/oauth/api_scope/sell.fulfillment"
)


@register("ebay")
class EbayClient(ChannelClient):
    def __init__(
        self,
        session: ChannelSession,
        *,
        initial_lookback: dt.timedelta = dt.timedelta(days=7),
        orders_page_size: int = ORDERS_PAGE,
    ):
        super().__init__(session)
        self._offers: dict[str, list[str]] = {}  # sku -> published offer ids
        self.initial_lookback = initial_lookback
        self.orders_page_size = min(orders_page_size, ORDERS_PAGE)

    @classmethod
    def from_config(
        cls,
        base_url: str,
        credentials: Mapping[str, str],
        *,
        token_url: str | None = None,
        scope: str | None = DEFAULT_SCOPE,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        **opts: Any,
    ) -> "EbayClient":
        """Credentials: ``client_id``, ``client_secret`` (the app's keyset), ``refresh_token``
        (the seller's user token grant). ``token_url`` defaults to
        ``{base_url}/identity/v1/oauth2/token`` (production and sandbox alike)."""
        client_id, client_secret, refresh_token = require(
            credentials, "client_id", "client_secret", "refresh_token", channel="ebay"
        )
        auth = RefreshTokenAuth(
            token_url or base_url.rstrip("/") + "/identity/v1/oauth2/token",
            client_id, client_secret, refresh_token,
            client_auth="basic", scope=scope, on_refresh_token=on_refresh_token, timeout=timeout,
        )
        session = ChannelSession(
            base_url, auth, timeout=timeout, retry=retry, default_headers={"Accept": "application/json"}
        )
        return cls(session, **opts)

    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        """Each SKU's inventory item and its published offers get the figure in one entry: buyers see
        the offer's availableQuantity, which overrides the item's ship-to-home quantity.  A call holds
        at most 25 entries and 25 offers; a SKU succeeds only when its item and every offer did."""
        result = PushResult()
        updates = coalesce_updates(updates)
        offers = self._published_offers([u.listing_id for u in updates])
        for batch in _batches(updates, offers):
            body = {"requests": [_price_quantity(u, offers.get(u.listing_id, [])) for u in batch]}
            response = self.session.request(
                "POST", f"{INVENTORY}/bulk_update_price_quantity", json=body
            )
            if response.status_code not in (200, 207):
                for update in batch:
                    result.add_failed(update, f"HTTP_{response.status_code}", _errors_text(response.json() if _is_json(response) else {}))
                continue
            answers: dict[str, list[dict[str, Any]]] = {}
            for answer in response.json().get("responses", []):
                answers.setdefault(answer.get("sku"), []).append(answer)
            for update in batch:
                mine = answers.get(update.listing_id)
                failed = [a for a in mine or [] if a.get("statusCode") != 200]
                if not mine:
                    result.add_failed(update, "MISSING", "no response for this SKU")
                elif not failed:
                    result.add_ok(update)
                else:
                    if any(a.get("offerId") for a in failed):
                        self._offers.pop(update.listing_id, None)  # withdrawn or replaced: look it up again
                    errors = failed[0].get("errors") or []
                    code = str(errors[0].get("errorId")) if errors else f"HTTP_{failed[0].get('statusCode')}"
                    result.add_failed(update, code, _errors_text(failed[0]))
        return result

    def _published_offers(self, skus: Iterable[str]) -> dict[str, list[str]]:
        """{sku: published offer ids}, looked up once per SKU (getOffers) and kept while they work."""
        for sku in dict.fromkeys(skus):
            if sku not in self._offers:
                offers = self.read_offers(sku)
                if offers:
                    self._offers[sku] = [o["offerId"] for o in offers if o.get("status") == "PUBLISHED"]
        return {sku: self._offers[sku] for sku in skus if sku in self._offers}

    def read_offers(self, sku: str) -> list[dict[str, Any]]:
        """The SKU's offers as eBay has them now (getOffers); none when eBay knows none (404)."""
        response = self.session.request("GET", f"{INVENTORY}/offer", params={"sku": sku})
        if response.status_code == 404:
            return []
        _expect(response, 200)
        return list(response.json().get("offers") or [])

    def read_quantities(self, listing_ids: Iterable[str]) -> dict[str, int]:
        """What buyers see: the availableQuantity of the SKU's published offers (the highest, should
        two offers disagree: showing too many is what sells pieces we lack).  SKUs with no published
        offer are not on sale and are left out."""
        quantities: dict[str, int] = {}
        for sku in dict.fromkeys(listing_ids):
            published = [o for o in self.read_offers(sku) if o.get("status") == "PUBLISHED"]
            if published:
                self._offers[sku] = [o["offerId"] for o in published]
                quantities[sku] = max(int(o.get("availableQuantity") or 0) for o in published)
        return quantities

    def pull_orders(self, cursor: str | None, known: KnownOrders | None = None) -> tuple[list[ChannelOrder], str | None]:
        """``cursor`` is the latest ``lastModifiedDate`` seen; the window is inclusive, so the
        caller may see the boundary order again and must import by channel order id.

        Pages are read by following ``next``, the URI eBay gives for the next page of this very
        result set: counting entries to make an offset of our own skips orders whenever a page
        holds more or fewer entries than the server stepped over."""
        since = cursor or iso_z(dt.datetime.now(dt.timezone.utc) - self.initial_lookback)
        orders: list[ChannelOrder] = []
        new_cursor = cursor
        path: str | None = f"{FULFILLMENT}/order"
        params: dict[str, str] | None = {"filter": f"lastmodifieddate:[{since}..]", "limit": str(self.orders_page_size)}
        while path:
            response = self.session.request("GET", path, params=params)
            _expect(response, 200)
            page = response.json()
            for raw in page.get("orders", []):
                orders.append(order_from_ebay(raw))
                new_cursor = later_cursor(new_cursor, raw.get("lastModifiedDate"))
            path, params = (urllib.parse.urljoin(response.url, page["next"]) if page.get("next") else None), None
            if path and not page.get("orders"):
                break  # a next page after an empty one would loop forever
            if path and not path.startswith(self.session.base_url + "/"):
                # Our token goes with the request: only ever to the API we were configured for.
                raise ChannelError(f"ebay getOrders: next page {path!r} is outside {self.session.base_url}")
        return dedupe_orders(orders), new_cursor or since


def order_state(raw: dict[str, Any]) -> str:
    """cancelStatus.cancelState CANCELED is cancelled; orderPaymentStatus FULLY_REFUNDED is a
    refund, PENDING or FAILED is not paid; PAID and PARTIALLY_REFUNDED keep the units (a partial
    refund does not say which units came back)."""
    if ((raw.get("cancelStatus") or {}).get("cancelState")) == "CANCELED":
        return OrderState.CANCELLED
    payment = raw.get("orderPaymentStatus")
    if payment == "FULLY_REFUNDED":
        return OrderState.REFUNDED
    if payment in ("PENDING", "FAILED"):
        return OrderState.PENDING
    return OrderState.PAID


def order_from_ebay(raw: dict[str, Any]) -> ChannelOrder:
    buyer = raw.get("buyer") or {}
    contact = buyer.get("buyerRegistrationAddress") or {}
    lines = []
    for item in raw.get("lineItems", []):
        cost = item.get("lineItemCost") or {}
        quantity = int(item.get("quantity", 0))
        total = to_minor_units(cost["value"], cost["currency"]) if cost else 0
        # lineItemCost is unit price times quantity.
        unit = int((Decimal(total) / max(quantity, 1)).to_integral_value(ROUND_HALF_UP))
        lines.append(
            OrderLine(
                sku=item.get("sku"), listing_id=item.get("legacyItemId"), quantity=quantity,
                unit_price=unit, currency=cost.get("currency", ""), name=item.get("title"),
            )
        )
    method = None
    address = None
    for instruction in raw.get("fulfillmentStartInstructions") or []:
        step = instruction.get("shippingStep") or {}
        ship_to = step.get("shipTo") or {}
        method = step.get("shippingServiceCode") or method
        if ship_to:
            where = ship_to.get("contactAddress") or {}
            address = DeliveryAddress(
                name=ship_to.get("fullName"),
                company=ship_to.get("companyName"),
                street=" ".join(p for p in (where.get("addressLine1"), where.get("addressLine2")) if p) or None,
                city=where.get("city"),
                postal_code=where.get("postalCode"),
                country_code=where.get("countryCode"),
                phone=(ship_to.get("primaryPhone") or {}).get("phoneNumber"),
            )
            break
    return ChannelOrder(
        channel="ebay",
        channel_order_id=raw["orderId"],
        created_at=parse_time(raw.get("creationDate")),
        updated_at=parse_time(raw.get("lastModifiedDate")),
        status=raw.get("orderFulfillmentStatus"),
        state=order_state(raw),
        buyer_email=contact.get("email"),
        buyer_phone=(contact.get("primaryPhone") or {}).get("phoneNumber"),
        buyer_name=contact.get("fullName") or buyer.get("username"),
        lines=tuple(lines),
        delivery_method=method,
        delivery_address=address,
    )


def _price_quantity(update: QuantityUpdate, offer_ids: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"sku": update.listing_id, "shipToLocationAvailability": {"quantity": update.quantity}}
    if offer_ids:
        entry["offers"] = [{"offerId": offer_id, "availableQuantity": update.quantity} for offer_id in offer_ids]
    return entry


def _batches(updates: list[QuantityUpdate], offers: dict[str, list[str]]) -> list[list[QuantityUpdate]]:
    """Calls of at most 25 entries holding at most 25 offers between them."""
    batches: list[list[QuantityUpdate]] = []
    current: list[QuantityUpdate] = []
    offer_count = 0
    for update in updates:
        count = min(len(offers.get(update.listing_id, [])), MAX_ITEMS_PER_BULK_CALL)
        if current and (len(current) == MAX_ITEMS_PER_BULK_CALL or offer_count + count > MAX_ITEMS_PER_BULK_CALL):
            batches.append(current)
            current, offer_count = [], 0
        current.append(update)
        offer_count += count
    if current:
        batches.append(current)
    return batches


def _is_json(response: Any) -> bool:
    return "json" in response.headers.get("Content-Type", "")


def _errors_text(payload: Mapping[str, Any]) -> str:
    return "; ".join(e.get("message", "") for e in payload.get("errors") or []) or "error"


def _expect(response: Any, *statuses: int) -> None:
    if response.status_code not in statuses:
        raise ChannelError(
            f"ebay {response.request.method} {response.request.path_url}: HTTP {response.status_code}",
            status=response.status_code, body=response.text[:500],
        )
