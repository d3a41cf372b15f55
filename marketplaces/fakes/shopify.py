"""A fake Shopify Admin GraphQL API (2025-01): inventory levels and orders.

Documents are validated against the published introspection schema with
graphql-core and variables are coerced against the operation's declared types;
answers are produced by executing the document against that same schema, so
their shape is the schema's.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import uuid
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_client_schema,
    execute,
    parse,
    validate,
    validate_schema,
)
from graphql.execution.values import get_variable_values
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from marketplaces.batching import iso_z, parse_time
from marketplaces.fakes.base import FakeServer, SpecViolation
from marketplaces.fakes.shopify_cost import SINGLE_QUERY_MAX_COST, CostBucket, QueryCost
from marketplaces.specs import load_spec

API_VERSION = "2025-01"
# Shopify's documented reasons for inventory changes.
REASONS = {
    "correction", "cycle_count_available", "damaged", "movement_created", "movement_updated",
    "movement_received", "movement_canceled", "other", "promotion", "quality_control",
    "received", "reservation_created", "reservation_deleted", "reservation_updated",
    "restock", "safety_stock", "shrinkage",
}
_UPDATED_AFTER = re.compile(r"updated_at:(>=?)'?([^'\s]+)'?")


def _page(items: list[Any], info: Any = None, first: int | None = None, after: str | None = None, **_: Any) -> dict[str, Any]:
    """One page of a connection; cursors are positions."""
    if first is None or not 1 <= first <= 250:
        raise GraphQLError("first must be between 1 and 250")
    start = int(after) if after else 0
    page = items[start : start + first]
    end = start + len(page)
    return {
        "nodes": page,
        "edges": [{"cursor": str(start + i + 1), "node": o} for i, o in enumerate(page)],
        "pageInfo": {"hasNextPage": end < len(items), "hasPreviousPage": start > 0,
                     "startCursor": str(start) if page else None, "endCursor": str(end) if page else None},
    }


def _timestamp(moment: dt.datetime) -> str:
    """Shopify's DateTime has whole seconds: orders changed within one second share their updatedAt."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@functools.lru_cache(maxsize=1)
def _published_schema() -> GraphQLSchema:
    data = load_spec("shopify")
    schema = build_client_schema(data.get("data", data))
    # The published schema deprecates some implementations of non-deprecated interface
    # fields, which graphql-core's schema check refuses. That rule is about the schema,
    # not about documents, so it is waived; any other schema error still stops us.
    problems = [e for e in validate_schema(schema) if "deprecated" not in e.message]
    if problems:
        raise TypeError("; ".join(e.message for e in problems[:5]))
    schema._validation_errors = []  # graphql-core's cache of the check above
    return schema


class FakeShopify(FakeServer):
    channel = "shopify"

    def __init__(self, *, access_token: str = "shpat_fake", location_id: str = "gid://shopify/Location/1", shop_currency: str = "PLN",
                 bucket_size: float = 2000.0, restore_rate: float = 100.0):
        super().__init__()
        self.bucket = CostBucket(bucket_size, restore_rate)
        self.schema = _published_schema()
        self.access_token = access_token
        self.location_id = location_id
        self.shop_currency = shop_currency
        self.levels: dict[tuple[str, str], int] = {}
        self.orders: list[dict[str, Any]] = []
        self.adjustments: list[dict[str, Any]] = []
        self._ids = itertools.count(1001)
        self.routes = Map([Rule(f"/admin/api/{API_VERSION}/graphql.json", methods=["POST"], endpoint="graphql")])

    # -- seeding ----------------------------------------------------------------------
    def add_inventory_item(self, item_id: str, quantity: int, *, location_id: str | None = None) -> None:
        with self._lock:
            self.levels[(item_id, location_id or self.location_id)] = quantity

    def quantity(self, item_id: str, location_id: str | None = None) -> int:
        return self.levels[(item_id, location_id or self.location_id)]

    def add_order(
        self,
        lines: list[tuple[str, str, int, str]],
        *,
        email: str = "klient@example.com",
        phone: str | None = "+380501234567",
        first_name: str = "Olena",
        last_name: str = "Shevchenko",
        updated_at: dt.datetime | None = None,
        financial_status: str = "PAID",
    ) -> str:
        """``lines``: (sku, inventory item GID, quantity, unit price "12.34"). Returns the order GID."""
        n = next(self._ids)
        order_id = f"gid://shopify/Order/{n}"
        when = _timestamp(updated_at or dt.datetime.now(dt.timezone.utc))
        order = {
            "__typename": "Order",
            "id": order_id,
            "name": f"#{n}",
            "createdAt": when,
            "updatedAt": when,
            "email": email,
            "phone": phone,
            "displayFulfillmentStatus": "UNFULFILLED",
            "displayFinancialStatus": financial_status,
            "cancelledAt": None,
            "customer": {"__typename": "Customer", "firstName": first_name, "lastName": last_name},
            "shippingAddress": {
                "name": f"{first_name} {last_name}", "company": None, "address1": "vul. Khreshchatyk 1",
                "address2": None, "city": "Kyiv", "zip": "01001", "countryCodeV2": "UA", "phone": phone,
            },
            "shippingLine": {"title": "Nova Poshta"},
            "lineItems": functools.partial(_page, [
                {
                    "sku": sku, "name": f"Item {sku}", "quantity": quantity,
                    "variant": {"id": f"gid://shopify/ProductVariant/{i}", "inventoryItem": {"id": item}},
                    "originalUnitPriceSet": {"shopMoney": {"amount": amount, "currencyCode": self.shop_currency}},
                }
                for i, (sku, item, quantity, amount) in enumerate(lines, 1)
            ]),
        }
        with self._lock:
            self.orders.append(order)
        return order_id

    def change_order(self, order_id: str, *, financial_status: str | None = None, cancelled: bool = False,
                     updated_at: dt.datetime | None = None) -> None:
        """Paid, refunded (displayFinancialStatus) or cancelled (cancelledAt), with a new updatedAt."""
        when = _timestamp(updated_at or dt.datetime.now(dt.timezone.utc))
        with self._lock:
            order = next(o for o in self.orders if o["id"] == order_id)
            if financial_status is not None:
                order["displayFinancialStatus"] = financial_status
            if cancelled:
                order["cancelledAt"] = when
            order["updatedAt"] = when

    # -- hooks --------------------------------------------------------------------------
    def validate_request(self, request: Request) -> Any:
        if request.mimetype != "application/json":
            raise SpecViolation("Content-Type must be application/json")
        try:
            payload = json.loads(request.get_data())
        except ValueError as exc:
            raise SpecViolation(f"body is not JSON ({exc})") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise SpecViolation("body must be an object with a query string")
        try:
            document = parse(payload["query"])
        except GraphQLError as exc:
            raise SpecViolation(f"syntax: {exc.message}") from None
        errors = validate(self.schema, document)
        if errors:
            raise SpecViolation("; ".join(e.message for e in errors[:5]))
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        name = payload.get("operationName")
        operation = next((o for o in operations if name is None or (o.name and o.name.value == name)), None)
        if operation is None or (name is None and len(operations) > 1):
            raise SpecViolation("operationName must pick one operation")
        variables = payload.get("variables") or {}
        coerced = get_variable_values(self.schema, operation.variable_definitions or (), variables)
        if isinstance(coerced, list):
            raise SpecViolation("; ".join(e.message for e in coerced[:5]))
        return {"document": document, "variables": variables, "operation_name": name, "operation": operation}

    def validate_response(self, request: Request, response: Response, validated: Any) -> list[str]:
        body = json.loads(response.get_data())
        if response.status_code != 200:
            return []
        # THROTTLED is Shopify's own answer, not a fault in ours.
        return [f"execution: {e['message']}" for e in body.get("errors") or []
                if (e.get("extensions") or {}).get("code") != "THROTTLED"]

    def error_response(self, status: int, code: str, message: str) -> Response:
        if status == 401:
            return self.json_response({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"}, 401)
        return self.json_response({"errors": [{"message": message, "extensions": {"code": code}}]}, status)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("X-Shopify-Access-Token") == self.access_token

    def graphql(self, request: Request, validated: Any) -> Response:
        cost = QueryCost(self.schema, validated["document"], validated["operation"], validated["variables"])
        requested = cost.requested()
        if requested > SINGLE_QUERY_MAX_COST:
            # Shopify refuses such a query whatever the bucket holds: a request it does not accept.
            return self.reject(request, f"Query cost is {requested}, which exceeds the single query max cost "
                                        f"limit ({SINGLE_QUERY_MAX_COST}) (MAX_COST_EXCEEDED)")
        if not self.bucket.take(requested):
            return self.json_response({
                "errors": [{"message": "Throttled", "extensions": {
                    "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": self.bucket.status()}}})
        root = {
            "orders": self._orders,
            "order": lambda info, id: next((o for o in self.orders if o["id"] == id), None),
            "nodes": self._nodes,
            "inventoryItem": lambda info, id: self._inventory_item(id),
            "inventorySetQuantities": self._set_quantities,
        }
        with self._lock:
            result = execute(
                self.schema, validated["document"], root_value=root,
                variable_values=validated["variables"], operation_name=validated["operation_name"],
            )
        actual = cost.actual(result.data)
        self.bucket.refund(requested - actual)
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        body["extensions"] = {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                                       "throttleStatus": self.bucket.status()}}
        return self.json_response(body)

    # -- resolvers ----------------------------------------------------------------------
    def _inventory_item(self, item_id: str) -> dict[str, Any] | None:
        locations = [loc for (item, loc) in self.levels if item == item_id]
        if not locations:
            return None

        def level(info: Any, locationId: str) -> dict[str, Any] | None:
            if (item_id, locationId) not in self.levels:
                return None
            quantity = self.levels[(item_id, locationId)]
            return {
                "__typename": "InventoryLevel",
                "id": f"gid://shopify/InventoryLevel/{abs(hash((item_id, locationId)))}",
                "quantities": lambda info, names: [
                    {"__typename": "InventoryQuantity", "id": f"gid://shopify/InventoryQuantity/{n}", "name": n,
                     "quantity": quantity, "updatedAt": None}
                    for n in names
                ],
            }

        return {"__typename": "InventoryItem", "id": item_id, "inventoryLevel": level, "tracked": True}

    def _nodes(self, info: Any, ids: list[str]) -> list[dict[str, Any] | None]:
        return [self._inventory_item(i) if "/InventoryItem/" in i else None for i in ids]

    def _orders(self, info: Any, first: int | None = None, after: str | None = None, query: str | None = None, **_: Any) -> dict[str, Any]:
        since, inclusive = None, False
        if query:
            m = _UPDATED_AFTER.search(query)
            if m:
                since, inclusive = parse_time(m.group(2)), m.group(1) == ">="
        # Search compares at Shopify's precision, whole seconds.
        if since is not None:
            since = since.replace(microsecond=0)
        chosen = [o for o in self.orders if since is None or parse_time(o["updatedAt"]) > since
                  or (inclusive and parse_time(o["updatedAt"]) == since)]
        chosen.sort(key=lambda o: o["updatedAt"])
        if self.duplicate_order_events:
            chosen = [o for order in chosen for o in (order, order)]
        return _page(chosen, info, first, after)

    def _set_quantities(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        errors: list[dict[str, Any]] = []

        def flag(index: int | None, code: str, message: str, leaf: str = "quantity") -> None:
            field = ["input", "quantities", str(index), leaf] if index is not None else ["input", leaf]
            errors.append({"__typename": "InventorySetQuantitiesUserError", "code": code, "field": field, "message": message})

        if input["name"] not in ("available", "on_hand"):
            flag(None, "INVALID_NAME", "The quantity name must be either 'available' or 'on_hand'.", "name")
        if input["reason"] not in REASONS:
            flag(None, "INVALID_REASON", "The specified reason is invalid.", "reason")
        seen = set()
        for i, q in enumerate(input["quantities"]):
            key = (q["inventoryItemId"], q["locationId"])
            if key in seen:
                flag(i, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR", "The combination of inventoryItemId and locationId must be unique.")
            seen.add(key)
            if not any(item == q["inventoryItemId"] for item, _ in self.levels):
                flag(i, "INVALID_INVENTORY_ITEM", "The specified inventory item could not be found.", "inventoryItemId")
            elif not any(loc == q["locationId"] for _, loc in self.levels):
                flag(i, "INVALID_LOCATION", "The specified location could not be found.", "locationId")
            elif key not in self.levels:
                flag(i, "ITEM_NOT_STOCKED_AT_LOCATION", "The specified inventory item is not stocked at the location.")
            elif q["inventoryItemId"] in self.failing_listings:
                flag(i, "NON_MUTABLE_INVENTORY_ITEM", self.failing_listings[q["inventoryItemId"]], "inventoryItemId")
            elif q["quantity"] < 0:
                flag(i, "INVALID_QUANTITY_NEGATIVE", "The quantity can't be negative.")
            elif not input.get("ignoreCompareQuantity"):
                if q.get("compareQuantity") is None:
                    flag(i, "COMPARE_QUANTITY_REQUIRED", "The compareQuantity argument must be given to each quantity or ignored using ignoreCompareQuantity.", "compareQuantity")
                elif q["compareQuantity"] != self.levels[key]:
                    flag(i, "COMPARE_QUANTITY_STALE", "The compareQuantity value does not match persisted value.", "compareQuantity")
        if errors:
            # All or nothing, like Shopify: no quantity changes when any entry is refused.
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        for q in input["quantities"]:
            self.levels[(q["inventoryItemId"], q["locationId"])] = q["quantity"]
        group = {
            "__typename": "InventoryAdjustmentGroup",
            "id": f"gid://shopify/InventoryAdjustmentGroup/{uuid.uuid4().int % 10**12}",
            "createdAt": iso_z(dt.datetime.now(dt.timezone.utc)),
            "reason": input["reason"],
            "referenceDocumentUri": input.get("referenceDocumentUri"),
            "changes": lambda info, **args: [],
        }
        self.adjustments.append(group)
        return {"inventoryAdjustmentGroup": group, "userErrors": []}
