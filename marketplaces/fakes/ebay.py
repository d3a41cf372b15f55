"""A fake eBay Sell API: Inventory (bulk quantity, bulk get) and Fulfillment (getOrders)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import urllib.parse
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from marketplaces.batching import iso_z, parse_time
from marketplaces.fakes.base import FakeServer, SpecViolation
from marketplaces.fakes.oauth import TokenIssuer
from marketplaces.fakes.openapi3 import OpenAPI3Validator, validator_for

INVENTORY = "/sell/inventory/v1"
FULFILLMENT = "/sell/fulfillment/v1"
_RANGE = re.compile(r"^(lastmodifieddate|creationdate):\[([^\]]+?)\.\.([^\]]*)\]$")


class FakeEbay(FakeServer):
    channel = "ebay"
    token_path = "/identity/v1/oauth2/token"

    def __init__(
        self,
        *,
        client_id: str = "ebay-client",
        client_secret: str = "ebay-secret",
        refresh_token: str = "ebay-refresh",
        token_expires_in: int = 7200,
    ):
        super().__init__()
        self.tokens = TokenIssuer(client_id, client_secret, refresh_token, expires_in=token_expires_in)
        self.inventory_validator = validator_for("ebay_inventory", INVENTORY)
        self.fulfillment_validator = validator_for("ebay_fulfillment", FULFILLMENT)
        self.items: dict[str, int] = {}
        self.orders: list[dict[str, Any]] = []
        self._order_numbers = itertools.count(10001)
        self.routes = Map(
            [
                Rule(f"{INVENTORY}/bulk_update_price_quantity", methods=["POST"], endpoint="bulk_update"),
                Rule(f"{INVENTORY}/bulk_get_inventory_item", methods=["POST"], endpoint="bulk_get"),
                Rule(f"{FULFILLMENT}/order", methods=["GET"], endpoint="get_orders"),
            ]
        )

    # -- seeding ----------------------------------------------------------------------
    def add_item(self, sku: str, quantity: int) -> None:
        with self._lock:
            self.items[sku] = quantity

    def add_order(
        self,
        lines: list[tuple[str, int, str, str]],
        *,
        order_id: str | None = None,
        buyer_email: str = "buyer@example.com",
        buyer_name: str = "Petr Novák",
        phone: str = "+420601234567",
        modified_at: dt.datetime | None = None,
        payment_status: str = "PAID",
    ) -> str:
        """``lines``: (sku, quantity, unit price "12.34", currency). Returns the order id."""
        order_id = order_id or f"12-{next(self._order_numbers):05d}-00001"
        when = iso_z(modified_at or dt.datetime.now(dt.timezone.utc))
        line_items = []
        for n, (sku, quantity, amount, currency) in enumerate(lines, 1):
            total = f"{float(amount) * quantity:.2f}"
            line_items.append(
                {
                    "lineItemId": f"{order_id}-{n}", "legacyItemId": f"1100{n}", "sku": sku,
                    "title": f"Item {sku}", "quantity": quantity,
                    "lineItemCost": {"value": total, "currency": currency},
                    "lineItemFulfillmentStatus": "NOT_STARTED",
                }
            )
        contact = {
            "fullName": buyer_name, "email": buyer_email, "primaryPhone": {"phoneNumber": phone},
            "contactAddress": {"addressLine1": "Václavské nám. 1", "city": "Praha", "postalCode": "11000", "countryCode": "CZ"},
        }
        order = {
            "orderId": order_id,
            "creationDate": when,
            "lastModifiedDate": when,
            "orderFulfillmentStatus": "NOT_STARTED",
            "orderPaymentStatus": payment_status,
            # Always returned, NONE_REQUESTED when nobody asked to cancel.
            "cancelStatus": {"cancelState": "NONE_REQUESTED", "cancelRequests": []},
            "buyer": {"username": "buyer_" + order_id[-5:], "buyerRegistrationAddress": contact},
            "lineItems": line_items,
            "fulfillmentStartInstructions": [
                {"fulfillmentInstructionsType": "SHIP_TO", "shippingStep": {"shippingServiceCode": "CZ_StandardDelivery", "shipTo": contact}}
            ],
        }
        with self._lock:
            self.orders.append(order)
        return order_id

    def change_order(self, order_id: str, *, payment_status: str | None = None, cancel_state: str | None = None,
                     modified_at: dt.datetime | None = None) -> None:
        """Paid (orderPaymentStatus PAID), refunded (FULLY_REFUNDED) or cancelled (cancelState CANCELED)."""
        when = iso_z(modified_at or dt.datetime.now(dt.timezone.utc))
        with self._lock:
            order = next(o for o in self.orders if o["orderId"] == order_id)
            if payment_status is not None:
                order["orderPaymentStatus"] = payment_status
            if cancel_state is not None:
                order["cancelStatus"] = {"cancelState": cancel_state, "cancelRequests": []}
                if cancel_state == "CANCELED":
                    order["cancelStatus"]["cancelledDate"] = when
            order["lastModifiedDate"] = when

    # -- hooks --------------------------------------------------------------------------
    def _validator(self, request: Request) -> OpenAPI3Validator:
        return self.fulfillment_validator if request.path.startswith(FULFILLMENT) else self.inventory_validator

    def validate_request(self, request: Request) -> Any:
        return self._validator(request).validate_request(request)

    def validate_response(self, request: Request, response: Response, validated: Any) -> list[str]:
        return self._validator(request).validate_response(request, response)

    def error_response(self, status: int, code: str, message: str) -> Response:
        return self.json_response(
            {"errors": [{"errorId": 25001 if status < 500 else 25000, "domain": "API_INVENTORY",
                         "category": "REQUEST" if status < 500 else "APPLICATION", "message": message}]},
            status,
        )

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and self.tokens.is_valid(header[7:])

    # -- inventory ----------------------------------------------------------------------
    @staticmethod
    def _limit_25(body: dict[str, Any]) -> list[dict[str, Any]]:
        requests_ = body.get("requests") or []
        # The spec's prose: "one or more inventory items (up to 25)".
        if not requests_ or len(requests_) > 25:
            raise SpecViolation(f"requests must hold 1 to 25 entries, got {len(requests_)}")
        return requests_

    def bulk_update(self, request: Request, validated: Any) -> Response:
        entries = self._limit_25(validated.body)
        responses = []
        with self._lock:
            for entry in entries:
                sku = entry.get("sku")
                ship = entry.get("shipToLocationAvailability") or {}
                reason = self.failing_listings.get(sku)
                if reason is None and sku not in self.items:
                    reason = "The SKU could not be found."
                if reason is None and "quantity" in ship:
                    self.items[sku] = ship["quantity"]
                if reason is None:
                    responses.append({"sku": sku, "statusCode": 200})
                else:
                    responses.append({"sku": sku, "statusCode": 400, "errors": [
                        {"errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST", "message": reason}
                    ]})
        mixed = any(r["statusCode"] != 200 for r in responses)
        return self.json_response({"responses": responses}, 207 if mixed else 200)

    def bulk_get(self, request: Request, validated: Any) -> Response:
        entries = self._limit_25(validated.body)
        responses = []
        with self._lock:
            for entry in entries:
                sku = entry.get("sku")
                if sku in self.items:
                    responses.append({"sku": sku, "statusCode": 200, "inventoryItem": {
                        "sku": sku, "availability": {"shipToLocationAvailability": {"quantity": self.items[sku]}},
                    }})
                else:
                    responses.append({"sku": sku, "statusCode": 404, "errors": [
                        {"errorId": 25710, "domain": "API_INVENTORY", "category": "REQUEST", "message": "not found"}
                    ]})
        mixed = any(r["statusCode"] != 200 for r in responses)
        return self.json_response({"responses": responses}, 207 if mixed else 200)

    # -- orders --------------------------------------------------------------------------
    def get_orders(self, request: Request, validated: Any) -> Response:
        query = validated.query
        limit_text = query.get("limit", "50")
        offset_text = query.get("offset", "0")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 200:
            raise SpecViolation("limit must be an integer from 1 to 200")
        if not offset_text.isdigit():
            raise SpecViolation("offset must be a non-negative integer")
        limit, offset = int(limit_text), int(offset_text)
        lower = upper = None
        field = "lastModifiedDate"
        if query.get("filter"):
            for criterion in query["filter"].split(","):
                m = _RANGE.match(criterion)
                if not m:
                    raise SpecViolation(f"unsupported filter criterion {criterion!r}")
                field = "lastModifiedDate" if m.group(1) == "lastmodifieddate" else "creationDate"
                try:
                    lower = parse_time(m.group(2))
                    upper = parse_time(m.group(3)) if m.group(3) else None
                except ValueError:
                    raise SpecViolation(f"bad timestamp in filter {criterion!r}") from None
        with self._lock:
            matching = [
                o for o in self.orders
                if (lower is None or parse_time(o[field]) >= lower)
                and (upper is None or parse_time(o[field]) <= upper)
            ]
            matching.sort(key=lambda o: o[field])
            page = matching[offset : offset + limit]
            if self.duplicate_order_events:
                # Redelivery: each order of the page comes twice; the result set (total, offsets)
                # is still counted in orders, so only the server's next link says where to go on.
                page = [o for order in page for o in (order, order)]
            body: dict[str, Any] = {
                "href": request.url, "limit": limit, "offset": offset,
                "total": len(matching), "orders": page,
            }
            if offset + limit < len(matching):
                # The same query, the next offset, like eBay's next URI.
                following = [(k, v) for k, v in request.args.items(multi=True) if k != "offset"]
                body["next"] = request.base_url + "?" + urllib.parse.urlencode(following + [("offset", str(offset + limit))])
            return self.json_response(body)
