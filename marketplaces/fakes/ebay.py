"""A fake eBay Sell API: Inventory (bulk price/quantity of items and their offers, bulk get, getOffers)
and Fulfillment (getOrders).

Buyers see a published offer's ``availableQuantity``, not the inventory item's ship-to-home quantity:
``add_item`` lists each item with one published offer, and ``shown(sku)`` is what a buyer sees."""

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
        # offer id -> {"sku", "availableQuantity", "status" (PUBLISHED | UNPUBLISHED)}
        self.offers: dict[str, dict[str, Any]] = {}
        self._offer_numbers = itertools.count(5_000_000_001)
        self.orders: list[dict[str, Any]] = []
        self._order_numbers = itertools.count(10001)
        self.routes = Map(
            [
                Rule(f"{INVENTORY}/bulk_update_price_quantity", methods=["POST"], endpoint="bulk_update"),
                Rule(f"{INVENTORY}/bulk_get_inventory_item", methods=["POST"], endpoint="bulk_get"),
                Rule(f"{INVENTORY}/offer", methods=["GET"], endpoint="get_offers"),
                Rule(f"{FULFILLMENT}/order", methods=["GET"], endpoint="get_orders"),
            ]
        )

    # -- seeding ----------------------------------------------------------------------
    def add_item(self, sku: str, quantity: int, *, offers: int = 1) -> list[str]:
        """An inventory item listed through ``offers`` published offers (0: not listed); their ids."""
        with self._lock:
            self.items[sku] = quantity
        return [self.add_offer(sku, quantity) for _ in range(offers)]

    def add_offer(self, sku: str, available: int, *, status: str = "PUBLISHED") -> str:
        offer_id = str(next(self._offer_numbers))
        with self._lock:
            self.offers[offer_id] = {"sku": sku, "availableQuantity": available, "status": status}
        return offer_id

    def offers_of(self, sku: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {offer_id: offer for offer_id, offer in self.offers.items() if offer["sku"] == sku}

    def shown(self, sku: str) -> int:
        """What a buyer can buy: the published offers' available quantity (0 when none is published)."""
        return sum(o["availableQuantity"] for o in self.offers_of(sku).values() if o["status"] == "PUBLISHED")

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
        # The operation's prose: "Up to 25 offers ... may be updated with one call".
        offer_count = sum(len(entry.get("offers") or []) for entry in entries)
        if offer_count > 25:
            raise SpecViolation(f"at most 25 offers a call, got {offer_count}")
        responses = []
        with self._lock:
            for entry in entries:
                sku = entry.get("sku")
                offers = entry.get("offers") or []
                reason = self.failing_listings.get(sku)
                if reason is None and sku is not None and sku not in self.items:
                    reason = "The SKU could not be found."
                problems = {o.get("offerId"): self._offer_problem(sku, o) for o in offers}
                ship = entry.get("shipToLocationAvailability")
                if reason is None and ship is not None and "quantity" in ship:
                    self.items[sku] = ship["quantity"]
                if reason is None:
                    for offer in offers:
                        if problems[offer.get("offerId")] is None and "availableQuantity" in offer:
                            self.offers[offer["offerId"]]["availableQuantity"] = offer["availableQuantity"]
                if ship is not None:
                    responses.append(self._entry_response({"sku": sku}, reason))
                for offer in offers:
                    responses.append(self._entry_response({"sku": sku, "offerId": offer.get("offerId")},
                                                          reason or problems[offer.get("offerId")]))
        mixed = any(r["statusCode"] != 200 for r in responses)
        return self.json_response({"responses": responses}, 207 if mixed else 200)

    def _offer_problem(self, sku: str | None, offer: dict[str, Any]) -> str | None:
        known = self.offers.get(offer.get("offerId") or "")
        if known is None:
            return "The offer could not be found."
        if sku is not None and known["sku"] != sku:
            # The operation's prose: an offer of another SKU than the entry's is an error.
            return f"Offer {offer['offerId']} belongs to SKU {known['sku']}, not {sku}."
        if known["status"] != "PUBLISHED":
            return "This call works with published offers only."
        if "availableQuantity" not in offer and "price" not in offer:
            return "Either availableQuantity or price is required."
        return None

    @staticmethod
    def _entry_response(entry: dict[str, Any], reason: str | None) -> dict[str, Any]:
        if reason is None:
            return {**entry, "statusCode": 200}
        return {**entry, "statusCode": 400, "errors": [
            {"errorId": 25702, "domain": "API_INVENTORY", "category": "REQUEST", "message": reason}]}

    def get_offers(self, request: Request, validated: Any) -> Response:
        sku = validated.query.get("sku")
        if not sku:
            raise SpecViolation("getOffers needs the sku query parameter")
        offers = [
            {"offerId": offer_id, "sku": sku, "marketplaceId": "EBAY_DE", "format": "FIXED_PRICE",
             "availableQuantity": offer["availableQuantity"], "status": offer["status"],
             **({"listing": {"listingId": f"11{offer_id}", "listingStatus": "ACTIVE"}}
                if offer["status"] == "PUBLISHED" else {})}
            for offer_id, offer in self.offers_of(sku).items()
        ]
        if not offers:
            return self.json_response({"errors": [{"errorId": 25713, "domain": "API_INVENTORY",
                                                   "category": "REQUEST", "message": "This Offer is not available."}]},
                                      404)
        return self.json_response({"href": request.url, "limit": 100, "offers": offers, "size": len(offers),
                                   "total": len(offers)})

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
