"""Shopify Admin GraphQL API (2025-01) client.

Quantities: ``inventorySetQuantities`` on the ``available`` quantity at one
location, with ``compareQuantity`` = the version we hold (compare-and-set), so
a retry after a lost answer fails as stale instead of writing twice over a
sale. The mutation is all-or-nothing: entries Shopify flags are reported as
failed and the rest are sent again without them.
For Shopify the listing id is the InventoryItem GID.
Orders: ``orders(query: "updated_at:>='…'", sortKey: UPDATED_AT)`` with cursor paging: inclusive,
because ``updatedAt`` has whole seconds and more orders may change within the second already seen.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Mapping, Sequence

from marketplaces.auth import StaticTokenAuth, require
from marketplaces.base import (
    ChannelClient,
    ChannelOrder,
    DeliveryAddress,
    KnownOrders,
    OrderLine,
    OrderState,
    PushResult,
    QuantityUpdate,
    SkuOutcome,
)
from marketplaces.batching import chunked, coalesce_updates, dedupe_orders, iso_z, later_cursor, parse_time
from marketplaces.errors import ChannelError
from marketplaces.http import ChannelSession, QueryCostThrottle, RetryPolicy
from marketplaces.money import to_minor_units
from marketplaces.registry import register

API_VERSION = "2025-01"
MAX_QUANTITIES_PER_MUTATION = 250
# A query may cost at most 1000 points, and a connection costs first × its items: 14 orders of at
# most 10 line items each come to 940. Orders with more lines read the rest separately.
ORDERS_PAGE = 14
LINES_PAGE = 10
MORE_LINES_PAGE = 100

SET_QUANTITIES = """
mutation SetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id createdAt reason }
    userErrors { code field message }
  }
}
"""

READ_LEVELS = """
query ReadAvailable($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem {
      id
      inventoryLevel(locationId: $locationId) {
        quantities(names: ["available"]) { name quantity }
      }
    }
  }
}
"""

LINE_ITEM_FIELDS = """
        pageInfo { hasNextPage endCursor }
        nodes {
          sku
          name
          quantity
          variant { id inventoryItem { id } }
          originalUnitPriceSet { shopMoney { amount currencyCode } }
        }
"""

ORDERS = """
query UpdatedOrders($first: Int!, $after: String, $query: String, $lines: Int!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      name
      createdAt
      updatedAt
      email
      phone
      displayFulfillmentStatus
      displayFinancialStatus
      cancelledAt
      customer { firstName lastName }
      shippingAddress { name company address1 address2 city zip countryCodeV2 phone }
      shippingLine { title }
      lineItems(first: $lines) {%s      }
    }
  }
}
""" % LINE_ITEM_FIELDS

MORE_LINES = """
query MoreLineItems($id: ID!, $first: Int!, $after: String) {
  order(id: $id) {
    lineItems(first: $first, after: $after) {%s    }
  }
}
""" % LINE_ITEM_FIELDS


@register("shopify")
class ShopifyClient(ChannelClient):
    def __init__(
        self,
        session: ChannelSession,
        *,
        location_id: str,
        api_version: str = API_VERSION,
        reason: str = "correction",
        reference_document_uri: str | None = None,
        initial_lookback: dt.timedelta = dt.timedelta(days=7),
        orders_page_size: int = ORDERS_PAGE,
    ):
        super().__init__(session)
        self.location_id = location_id
        self.endpoint = f"/admin/api/{api_version}/graphql.json"
        self.reason = reason
        self.reference_document_uri = reference_document_uri
        self.initial_lookback = initial_lookback
        self.orders_page_size = min(orders_page_size, ORDERS_PAGE)

    @classmethod
    def from_config(
        cls,
        base_url: str,
        credentials: Mapping[str, str],
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        **opts: Any,
    ) -> "ShopifyClient":
        """Credentials: ``access_token`` (Admin API). Options: ``location_id`` (Location GID,
        required), ``api_version``. ``base_url`` is ``https://{shop}.myshopify.com``."""
        (token,) = require(credentials, "access_token", channel="shopify")
        if not opts.get("location_id"):
            raise ValueError("shopify: option location_id is required")
        session = ChannelSession(
            base_url, StaticTokenAuth("X-Shopify-Access-Token", token), timeout=timeout, retry=retry,
            default_headers={"Accept": "application/json"}, throttle=QueryCostThrottle(),
        )
        return cls(session, **opts)

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        response = self.session.request("POST", self.endpoint, json={"query": query, "variables": dict(variables)})
        if response.status_code != 200:
            raise ChannelError(f"shopify GraphQL: HTTP {response.status_code}", status=response.status_code, body=response.text[:500])
        payload = response.json()
        if payload.get("errors"):
            raise ChannelError(f"shopify GraphQL errors: {payload['errors']}", body=response.text[:500])
        return payload["data"]

    # -- quantities ----------------------------------------------------------------------
    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        result = PushResult()
        updates = coalesce_updates(updates)
        checked = [u for u in updates if u.version is not None]
        unchecked = [u for u in updates if u.version is None]
        for group, ignore_compare in ((checked, False), (unchecked, True)):
            for batch in chunked(group, MAX_QUANTITIES_PER_MUTATION):
                self._set_batch(batch, ignore_compare, result)
        return self._settle_stale(result)

    def _settle_stale(self, result: PushResult) -> PushResult:
        """A write whose answer was lost and was sent again comes back stale, because the
        first attempt already moved the quantity. If the channel now shows exactly what we
        wanted, the write happened: report it as done."""
        stale = [o for o in result.outcomes if o.code == "COMPARE_QUANTITY_STALE"]
        if not stale:
            return result
        current = self.read_quantities(o.listing_id for o in stale)
        settled = PushResult()
        for outcome in result.outcomes:
            if outcome.code == "COMPARE_QUANTITY_STALE" and current.get(outcome.listing_id) == outcome.quantity:
                settled.outcomes.append(SkuOutcome(outcome.sku, outcome.listing_id, outcome.quantity, True))
            else:
                settled.outcomes.append(outcome)
        return settled

    def _set_batch(self, batch: list[QuantityUpdate], ignore_compare: bool, result: PushResult) -> None:
        remaining = list(batch)
        # Each round either succeeds or removes at least one flagged entry.
        while remaining:
            quantities = []
            for u in remaining:
                entry: dict[str, Any] = {"inventoryItemId": u.listing_id, "locationId": self.location_id, "quantity": u.quantity}
                if not ignore_compare:
                    entry["compareQuantity"] = u.version
                quantities.append(entry)
            payload: dict[str, Any] = {
                "name": "available", "reason": self.reason, "quantities": quantities,
                "ignoreCompareQuantity": ignore_compare,
            }
            if self.reference_document_uri:
                payload["referenceDocumentUri"] = self.reference_document_uri
            data = self.graphql(SET_QUANTITIES, {"input": payload})
            errors = data["inventorySetQuantities"]["userErrors"]
            if not errors:
                for u in remaining:
                    result.add_ok(u)
                return
            flagged: dict[int, dict[str, Any]] = {}
            for error in errors:
                index = _quantity_index(error.get("field"))
                if index is None or index >= len(remaining):
                    for u in remaining:
                        result.add_failed(u, error.get("code") or "USER_ERROR", error.get("message", ""))
                    return
                flagged.setdefault(index, error)
            for index, error in flagged.items():
                result.add_failed(remaining[index], error.get("code") or "USER_ERROR", error.get("message", ""))
            remaining = [u for i, u in enumerate(remaining) if i not in flagged]

    def read_quantities(self, listing_ids: Iterable[str]) -> dict[str, int]:
        quantities: dict[str, int] = {}
        for batch in chunked(list(dict.fromkeys(listing_ids)), MAX_QUANTITIES_PER_MUTATION):
            data = self.graphql(READ_LEVELS, {"ids": batch, "locationId": self.location_id})
            for node in data["nodes"]:
                level = (node or {}).get("inventoryLevel")
                if not level:
                    continue
                for q in level["quantities"]:
                    if q["name"] == "available":
                        quantities[node["id"]] = int(q["quantity"])
        return quantities

    # -- orders -----------------------------------------------------------------------------
    def pull_orders(self, cursor: str | None, known: KnownOrders | None = None) -> tuple[list[ChannelOrder], str | None]:
        """``cursor`` is the latest ``updatedAt`` seen. The window includes it (``>=``): updatedAt has
        whole seconds, and a strict ``>`` loses every order updated later in that same second. The
        boundary orders come again on the next pull; the importer knows them by id."""
        since = cursor or iso_z(dt.datetime.now(dt.timezone.utc) - self.initial_lookback)
        orders: list[ChannelOrder] = []
        after = None
        new_cursor = cursor
        while True:
            data = self.graphql(ORDERS, {"first": self.orders_page_size, "after": after, "lines": LINES_PAGE,
                                         "query": f"updated_at:>='{since}'"})
            connection = data["orders"]
            for node in connection["nodes"]:
                self._read_all_lines(node)
                orders.append(order_from_shopify(node))
                new_cursor = later_cursor(new_cursor, node.get("updatedAt"))
            if not connection["pageInfo"]["hasNextPage"]:
                break
            after = connection["pageInfo"]["endCursor"]
        return dedupe_orders(orders), new_cursor or since


    def _read_all_lines(self, node: dict[str, Any]) -> None:
        lines = node["lineItems"]
        while lines["pageInfo"]["hasNextPage"]:
            more = self.graphql(MORE_LINES, {"id": node["id"], "first": MORE_LINES_PAGE,
                                             "after": lines["pageInfo"]["endCursor"]})["order"]["lineItems"]
            lines["nodes"].extend(more["nodes"])
            lines["pageInfo"] = more["pageInfo"]


def _quantity_index(field: list[str] | None) -> int | None:
    """["input", "quantities", "3", "compareQuantity"] -> 3."""
    if field:
        for i, part in enumerate(field[:-1]):
            if part == "quantities" and field[i + 1].isdigit():
                return int(field[i + 1])
    return None


# OrderDisplayFinancialStatus: PENDING and PARTIALLY_PAID are not paid; an EXPIRED authorisation or
# a VOIDED payment ends the order; REFUNDED gives everything back. AUTHORIZED, PAID and
# PARTIALLY_REFUNDED keep the units (a partial refund does not say which units came back).
_FINANCIAL_STATES = {"PENDING": OrderState.PENDING, "PARTIALLY_PAID": OrderState.PENDING,
                     "EXPIRED": OrderState.CANCELLED, "VOIDED": OrderState.CANCELLED,
                     "REFUNDED": OrderState.REFUNDED}


def order_state(node: dict[str, Any]) -> str:
    if node.get("cancelledAt"):
        return OrderState.CANCELLED
    return _FINANCIAL_STATES.get(node.get("displayFinancialStatus"), OrderState.PAID)


def order_from_shopify(node: dict[str, Any]) -> ChannelOrder:
    customer = node.get("customer") or {}
    ship = node.get("shippingAddress")
    lines = []
    for item in (node.get("lineItems") or {}).get("nodes", []):
        money = item["originalUnitPriceSet"]["shopMoney"]
        inventory_item = ((item.get("variant") or {}).get("inventoryItem") or {}).get("id")
        lines.append(
            OrderLine(
                sku=item.get("sku"), listing_id=inventory_item, quantity=int(item["quantity"]),
                unit_price=to_minor_units(money["amount"], money["currencyCode"]),
                currency=money["currencyCode"], name=item.get("name"),
            )
        )
    name = " ".join(p for p in (customer.get("firstName"), customer.get("lastName")) if p) or None
    return ChannelOrder(
        channel="shopify",
        channel_order_id=node["id"],
        created_at=parse_time(node.get("createdAt")),
        updated_at=parse_time(node.get("updatedAt")),
        status=node.get("displayFinancialStatus"),
        state=order_state(node),
        buyer_email=node.get("email"),
        buyer_phone=node.get("phone"),
        buyer_name=name or (ship or {}).get("name"),
        lines=tuple(lines),
        delivery_method=(node.get("shippingLine") or {}).get("title"),
        delivery_address=DeliveryAddress(
            name=ship.get("name"), company=ship.get("company"),
            street=" ".join(p for p in (ship.get("address1"), ship.get("address2")) if p) or None,
            city=ship.get("city"), postal_code=ship.get("zip"), country_code=ship.get("countryCodeV2"),
            phone=ship.get("phone"),
        )
        if ship
        else None,
    )
