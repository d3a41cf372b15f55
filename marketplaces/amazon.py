"""Amazon Selling Partner API client (Listings Items 2021-08-01, Feeds 2021-06-30, Orders v0).

Quantities: ``patchListingsItem`` replacing ``/attributes/fulfillment_availability``
per SKU, or for more than ``bulk_threshold`` SKUs one JSON_LISTINGS_FEED
(createFeedDocument, upload, createFeed, poll, read the processing report).
Both set absolute quantities, so a retried write is harmless.
Orders: ``getOrders`` from LastUpdatedAfter with NextToken paging, then
``getOrderItems`` per order. For Amazon the listing id is the seller SKU.
"""

from __future__ import annotations

import datetime as dt
import json
import time
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
from marketplaces.http import ChannelSession, RateHeaderThrottle, RetryPolicy
from marketplaces.money import to_minor_units
from marketplaces.registry import register

LISTINGS = "/listings/2021-08-01/items"
FEEDS = "/feeds/2021-06-30"
ORDERS = "/orders/v0/orders"
FEED_CONTENT_TYPE = "application/json; charset=UTF-8"


@register("amazon")
class AmazonClient(ChannelClient):
    def __init__(
        self,
        session: ChannelSession,
        *,
        seller_id: str,
        marketplace_id: str,
        product_type: str = "PRODUCT",
        fulfillment_channel_code: str = "DEFAULT",
        bulk_threshold: int = 20,
        poll_interval: float = 30.0,
        poll_timeout: float = 900.0,
        initial_lookback: dt.timedelta = dt.timedelta(days=7),
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(session)
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.product_type = product_type
        self.fulfillment_channel_code = fulfillment_channel_code
        self.bulk_threshold = bulk_threshold
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.initial_lookback = initial_lookback
        self._sleep = sleep

    @classmethod
    def from_config(
        cls,
        base_url: str,
        credentials: Mapping[str, str],
        *,
        token_url: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        **opts: Any,
    ) -> "AmazonClient":
        """Credentials: LWA ``client_id``, ``client_secret``, ``refresh_token``.

        Options: ``seller_id`` and ``marketplace_id`` (required), ``token_url``
        (default ``{base_url}/auth/o2/token``; production is
        https://api.amazon.com/auth/o2/token), ``product_type``, ``bulk_threshold``.
        """
        client_id, client_secret, refresh_token = require(
            credentials, "client_id", "client_secret", "refresh_token", channel="amazon"
        )
        for needed in ("seller_id", "marketplace_id"):
            if not opts.get(needed):
                raise ValueError(f"amazon: option {needed} is required")
        auth = RefreshTokenAuth(
            token_url or base_url.rstrip("/") + "/auth/o2/token",
            client_id, client_secret, refresh_token,
            client_auth="body", header="x-amz-access-token", bearer=False,
            on_refresh_token=on_refresh_token, timeout=timeout,
        )
        # SP-API answers an expired token with 403 Unauthorized, not 401.
        session = ChannelSession(
            base_url, auth, timeout=timeout, retry=retry,
            default_headers={"Accept": "application/json"}, reauth_statuses=(401, 403),
            throttle=RateHeaderThrottle(),
        )
        return cls(session, **opts)

    def _item_path(self, sku: str) -> str:
        return f"{LISTINGS}/{urllib.parse.quote(self.seller_id, safe='')}/{urllib.parse.quote(sku, safe='')}"

    def _availability(self, quantity: int) -> list[dict[str, Any]]:
        return [{"fulfillment_channel_code": self.fulfillment_channel_code, "quantity": quantity}]

    # -- quantities --------------------------------------------------------------------
    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        updates = coalesce_updates(updates)
        if len(updates) > self.bulk_threshold:
            return self._push_by_feed(updates)
        result = PushResult()
        for update in updates:
            self._patch(update, result)
        return result

    def _patch(self, update: QuantityUpdate, result: PushResult) -> None:
        body = {
            "productType": self.product_type,
            "patches": [
                {
                    "op": "replace",
                    "path": "/attributes/fulfillment_availability",
                    "value": self._availability(update.quantity),
                }
            ],
        }
        response = self.session.request(
            "PATCH", self._item_path(update.listing_id),
            params={"marketplaceIds": self.marketplace_id}, json=body,
        )
        if response.status_code != 200:
            result.add_failed(update, f"HTTP_{response.status_code}", _errors_text(response))
            return
        answer = response.json()
        if answer.get("status") == "ACCEPTED":
            result.add_ok(update)
        else:
            issues = [i for i in answer.get("issues") or [] if i.get("severity") == "ERROR"]
            code = issues[0].get("code", "INVALID") if issues else answer.get("status", "INVALID")
            result.add_failed(update, code, "; ".join(i.get("message", "") for i in issues) or "INVALID")

    def _push_by_feed(self, updates: list[QuantityUpdate]) -> PushResult:
        feed = {
            "header": {"sellerId": self.seller_id, "version": "2.0", "issueLocale": "en_US"},
            "messages": [
                {
                    "messageId": n,
                    "sku": u.listing_id,
                    "operationType": "PATCH",
                    "productType": self.product_type,
                    "patches": [
                        {
                            "op": "replace",
                            "path": "/attributes/fulfillment_availability",
                            "value": self._availability(u.quantity),
                        }
                    ],
                }
                for n, u in enumerate(updates, 1)
            ],
        }
        response = self.session.request("POST", f"{FEEDS}/documents", json={"contentType": FEED_CONTENT_TYPE})
        _expect(response, 201)
        document = response.json()
        upload = self.session.request(
            "PUT", document["url"], data=json.dumps(feed).encode(),
            headers={"Content-Type": FEED_CONTENT_TYPE}, authenticated=False,
        )
        _expect(upload, 200)
        response = self.session.request(
            "POST", f"{FEEDS}/feeds",
            json={
                "feedType": "JSON_LISTINGS_FEED",
                "marketplaceIds": [self.marketplace_id],
                "inputFeedDocumentId": document["feedDocumentId"],
            },
        )
        _expect(response, 202)
        feed_id = response.json()["feedId"]
        status = self._wait_for_feed(feed_id)
        result = PushResult()
        if status.get("processingStatus") != "DONE" or not status.get("resultFeedDocumentId"):
            for update in updates:
                result.add_failed(update, f"FEED_{status.get('processingStatus', 'UNKNOWN')}", f"feed {feed_id}")
            return result
        report = self._download(status["resultFeedDocumentId"])
        errors: dict[int, list[dict[str, Any]]] = {}
        for issue in report.get("issues", []):
            if issue.get("severity") == "ERROR" and "messageId" in issue:
                errors.setdefault(issue["messageId"], []).append(issue)
        for n, update in enumerate(updates, 1):
            if n in errors:
                result.add_failed(update, errors[n][0].get("code", "ERROR"), "; ".join(i.get("message", "") for i in errors[n]))
            else:
                result.add_ok(update)
        return result

    def _wait_for_feed(self, feed_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.poll_timeout
        while True:
            response = self.session.request("GET", f"{FEEDS}/feeds/{feed_id}")
            _expect(response, 200)
            status = response.json()
            if status.get("processingStatus") in ("DONE", "FATAL", "CANCELLED") or time.monotonic() >= deadline:
                return status
            self._sleep(self.poll_interval)

    def _download(self, document_id: str) -> dict[str, Any]:
        response = self.session.request("GET", f"{FEEDS}/documents/{document_id}")
        _expect(response, 200)
        report = self.session.request("GET", response.json()["url"], authenticated=False)
        _expect(report, 200)
        return report.json()

    def read_quantities(self, listing_ids: Iterable[str]) -> dict[str, int]:
        """SKUs Amazon does not know (404) are left out of the answer."""
        quantities: dict[str, int] = {}
        for sku in dict.fromkeys(listing_ids):
            response = self.session.request(
                "GET", self._item_path(sku),
                params={"marketplaceIds": self.marketplace_id, "includedData": "fulfillmentAvailability"},
            )
            if response.status_code == 404:
                continue
            _expect(response, 200)
            for availability in response.json().get("fulfillmentAvailability") or []:
                if availability.get("fulfillmentChannelCode") == self.fulfillment_channel_code:
                    quantities[sku] = int(availability.get("quantity", 0))
        return quantities

    # -- orders ---------------------------------------------------------------------------
    def pull_orders(self, cursor: str | None, known: KnownOrders | None = None) -> tuple[list[ChannelOrder], str | None]:
        """``cursor`` is the latest ``LastUpdateDate`` seen (inclusive on the next pull).

        getOrderItems is a call per order at 0.5 requests a second, so it is made only for orders
        ``known`` has never seen or whose OrderStatus changed since they were imported (a Pending
        order's items come without prices, so they are read again once it is paid); an inclusive
        window that brings the same orders again costs one getOrders page and nothing more."""
        since = cursor or iso_z(dt.datetime.now(dt.timezone.utc) - self.initial_lookback)
        raw_orders: list[dict[str, Any]] = []
        params: dict[str, Any] = {"MarketplaceIds": self.marketplace_id, "LastUpdatedAfter": since}
        new_cursor = cursor
        while True:
            response = self.session.request("GET", ORDERS, params=params)
            _expect(response, 200)
            payload = response.json().get("payload") or {}
            for raw in payload.get("Orders", []):
                raw_orders.append(raw)
                new_cursor = later_cursor(new_cursor, raw.get("LastUpdateDate"))
            token = payload.get("NextToken")
            if not token:
                break
            params = {"MarketplaceIds": self.marketplace_id, "NextToken": token}
        unique = {raw["AmazonOrderId"]: raw for raw in raw_orders}
        orders = [
            order_from_amazon(raw, self._order_items(order_id))
            for order_id, raw in unique.items()
            if known is None or known(order_id) != raw.get("OrderStatus")
        ]
        return dedupe_orders(orders), new_cursor or since

    def _order_items(self, order_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {}
        while True:
            response = self.session.request(
                "GET", f"{ORDERS}/{urllib.parse.quote(order_id, safe='')}/orderItems", params=params
            )
            _expect(response, 200)
            payload = response.json().get("payload") or {}
            items.extend(payload.get("OrderItems", []))
            if not payload.get("NextToken"):
                return items
            params = {"NextToken": payload["NextToken"]}


# OrderStatus: Pending and PendingAvailability are not paid (payment not authorised); Canceled is
# cancelled; Unfulfillable orders cannot be sent, so they hold nothing either. The Orders API has no
# refund status (refunds are financial events), so a refund is seen only if the order is cancelled.
_STATES = {"Pending": OrderState.PENDING, "PendingAvailability": OrderState.PENDING,
           "Canceled": OrderState.CANCELLED, "Unfulfillable": OrderState.CANCELLED}


def order_from_amazon(raw: dict[str, Any], items: list[dict[str, Any]]) -> ChannelOrder:
    buyer = raw.get("BuyerInfo") or {}
    ship = raw.get("ShippingAddress") or {}
    lines = []
    for item in items:
        quantity = int(item.get("QuantityOrdered", 0))
        price = item.get("ItemPrice") or {}
        currency = price.get("CurrencyCode", "")
        # ItemPrice is the unit price times the quantity ordered.
        total = to_minor_units(price["Amount"], currency) if price.get("Amount") else 0
        unit = int((Decimal(total) / max(quantity, 1)).to_integral_value(ROUND_HALF_UP))
        lines.append(
            OrderLine(
                sku=item.get("SellerSKU"), listing_id=item.get("SellerSKU"), quantity=quantity,
                unit_price=unit, currency=currency, name=item.get("Title"),
            )
        )
    return ChannelOrder(
        channel="amazon",
        channel_order_id=raw["AmazonOrderId"],
        created_at=parse_time(raw.get("PurchaseDate")),
        updated_at=parse_time(raw.get("LastUpdateDate")),
        status=raw.get("OrderStatus"),
        state=_STATES.get(raw.get("OrderStatus"), OrderState.PAID),
        buyer_email=buyer.get("BuyerEmail"),
        buyer_phone=ship.get("Phone"),
        buyer_name=buyer.get("BuyerName"),
        lines=tuple(lines),
        delivery_method=raw.get("ShipServiceLevel"),
        delivery_address=DeliveryAddress(
            name=ship.get("Name"),
            company=ship.get("CompanyName"),
            street=" ".join(p for p in (ship.get("AddressLine1"), ship.get("AddressLine2"), ship.get("AddressLine3")) if p) or None,
            city=ship.get("City"),
            postal_code=ship.get("PostalCode"),
            country_code=ship.get("CountryCode"),
            phone=ship.get("Phone"),
        )
        if ship
        else None,
    )


def _errors_text(response: Any) -> str:
    try:
        return "; ".join(e.get("message", "") for e in response.json().get("errors") or []) or response.text[:300]
    except ValueError:
        return response.text[:300]


def _expect(response: Any, *statuses: int) -> None:
    if response.status_code not in statuses:
        raise ChannelError(
            f"amazon {response.request.method} {response.request.path_url}: HTTP {response.status_code}",
            status=response.status_code, body=response.text[:500],
        )
