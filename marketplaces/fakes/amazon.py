"""A fake Amazon SP-API: Listings Items, Feeds (JSON_LISTINGS_FEED) and Orders v0."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import time
import uuid
from typing import Any

from jsonschema import Draft7Validator
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from marketplaces.batching import iso_z, parse_time
from marketplaces.fakes.base import FakeServer, SpecViolation
from marketplaces.fakes.oauth import TokenIssuer
from marketplaces.fakes.swagger2 import Swagger2Validator, ValidatedRequest
from marketplaces.specs import load_spec

_USAGE_PLAN = re.compile(r"\|\s*([0-9.]+)\s*\|\s*([0-9]+)\s*\|")


def usage_plans(*specs: dict[str, Any]) -> dict[str, tuple[float, int]]:
    """operationId -> (rate a second, burst), from each operation's "Usage Plan" table in the spec."""
    plans = {}
    for spec in specs:
        for operations in spec.get("paths", {}).values():
            for operation in operations.values():
                if isinstance(operation, dict) and operation.get("operationId"):
                    found = _USAGE_PLAN.search(operation.get("description") or "")
                    if found:
                        plans[operation["operationId"]] = (float(found.group(1)), int(found.group(2)))
    return plans


UPLOADS = "/fake-s3/feed-uploads/"
DOWNLOADS = "/fake-s3/feed-downloads/"


class FakeAmazon(FakeServer):
    channel = "amazon"
    token_path = "/auth/o2/token"

    def __init__(
        self,
        *,
        client_id: str = "amzn1.application-oa2-client.fake",
        client_secret: str = "amazon-secret",
        refresh_token: str = "Atzr|amazon-refresh",
        seller_id: str = "A1SELLER",
        marketplace_id: str = "A1C3SOZRARQ6R3",  # amazon.pl
        feed_polls: int = 1,
        orders_page_size: int = 100,
        token_expires_in: int = 3600,
    ):
        super().__init__()
        self.tokens = TokenIssuer(
            client_id, client_secret, refresh_token, client_auth="body", expires_in=token_expires_in
        )
        self.seller_id = seller_id
        self.marketplace_id = marketplace_id
        self.feed_polls = feed_polls
        self.orders_page_size = orders_page_size
        self.validators = [
            Swagger2Validator(load_spec("amazon_listings")),
            Swagger2Validator(load_spec("amazon_feeds")),
            Swagger2Validator(load_spec("amazon_orders")),
        ]
        # Each answer names the operation's rate in x-amzn-RateLimit-Limit (the spec's usage plan);
        # operations listed in ``rate_limits`` (operationId -> (rate, burst)) are also held to it:
        # a token bucket, and 429 without Retry-After when it is empty, as SP-API does.
        self.usage_plans = usage_plans(load_spec("amazon_listings"), load_spec("amazon_feeds"),
                                       load_spec("amazon_orders"))
        self.rate_limits: dict[str, tuple[float, int]] = {}
        self._buckets: dict[str, tuple[float, float]] = {}
        self.throttled = 0
        self.feed_schema = Draft7Validator(load_spec("amazon_listings_feed"))
        self.message_schema = Draft7Validator(load_spec("amazon_listings_feed_message"))
        self.report_schema = Draft7Validator(load_spec("amazon_listings_feed_report"))
        self.listings: dict[str, int] = {}
        self.orders: list[dict[str, Any]] = []
        self.order_items: dict[str, list[dict[str, Any]]] = {}
        self.documents: dict[str, bytes | None] = {}
        self.reports: dict[str, dict[str, Any]] = {}
        self.feeds: dict[str, dict[str, Any]] = {}
        self._next_tokens: dict[str, tuple[dict[str, Any], int]] = {}
        self._ids = itertools.count(1)
        self.routes = Map(
            [
                Rule("/listings/2021-08-01/items/<seller_id>/<path:sku>", methods=["PATCH"], endpoint="patch_item"),
                Rule("/listings/2021-08-01/items/<seller_id>/<path:sku>", methods=["GET"], endpoint="get_item"),
                Rule("/feeds/2021-06-30/documents", methods=["POST"], endpoint="create_document"),
                Rule("/feeds/2021-06-30/documents/<document_id>", methods=["GET"], endpoint="get_document"),
                Rule("/feeds/2021-06-30/feeds", methods=["POST"], endpoint="create_feed"),
                Rule("/feeds/2021-06-30/feeds/<feed_id>", methods=["GET"], endpoint="get_feed"),
                Rule("/orders/v0/orders", methods=["GET"], endpoint="get_orders"),
                Rule("/orders/v0/orders/<order_id>/orderItems", methods=["GET"], endpoint="get_order_items"),
            ]
        )

    # -- seeding ----------------------------------------------------------------------
    def add_listing(self, sku: str, quantity: int) -> None:
        with self._lock:
            self.listings[sku] = quantity

    def add_order(
        self,
        lines: list[tuple[str, int, str, str]],
        *,
        order_id: str | None = None,
        buyer_email: str = "buyer@marketplace.amazon.pl",
        buyer_name: str = "Anna Nowak",
        status: str = "Unshipped",
        updated_at: dt.datetime | None = None,
    ) -> str:
        """``lines``: (seller SKU, quantity, unit price "12.34", currency). Returns the order id."""
        n = next(self._ids)
        order_id = order_id or f"405-{n:07d}-{n:07d}"
        when = iso_z(updated_at or dt.datetime.now(dt.timezone.utc))
        currency = lines[0][3] if lines else "PLN"
        total = sum(float(a) * q for _, q, a, _ in lines)
        order = {
            "AmazonOrderId": order_id,
            "PurchaseDate": when,
            "LastUpdateDate": when,
            "OrderStatus": status,
            "MarketplaceId": self.marketplace_id,
            "ShipServiceLevel": "Std PL Dom",
            "OrderTotal": {"CurrencyCode": currency, "Amount": f"{total:.2f}"},
            "BuyerInfo": {"BuyerEmail": buyer_email, "BuyerName": buyer_name},
            "ShippingAddress": {
                "Name": buyer_name, "AddressLine1": "ul. Długa 5", "City": "Kraków",
                "PostalCode": "31-147", "CountryCode": "PL", "Phone": "+48123456789",
            },
        }
        items = [
            {
                "ASIN": f"B0{abs(hash(sku)) % 10**8:08d}", "OrderItemId": f"{order_id}-{i}",
                "SellerSKU": sku, "Title": f"Item {sku}", "QuantityOrdered": quantity,
                "ItemPrice": {"CurrencyCode": cur, "Amount": f"{float(amount) * quantity:.2f}"},
            }
            for i, (sku, quantity, amount, cur) in enumerate(lines, 1)
        ]
        with self._lock:
            self.orders.append(order)
            self.order_items[order_id] = items
        return order_id

    def change_order(self, order_id: str, status: str, *, updated_at: dt.datetime | None = None) -> None:
        """The order moves on (Pending → Unshipped when paid, → Canceled), with a new LastUpdateDate."""
        with self._lock:
            order = next(o for o in self.orders if o["AmazonOrderId"] == order_id)
            order["OrderStatus"] = status
            order["LastUpdateDate"] = iso_z(updated_at or dt.datetime.now(dt.timezone.utc))

    # -- hooks --------------------------------------------------------------------------
    def validate_request(self, request: Request) -> ValidatedRequest:
        for validator in self.validators:
            validated = validator.validate_request(request)
            if validated is not None:
                validated.validator = validator  # type: ignore[attr-defined]
                return validated
        raise SpecViolation(f"no operation for {request.method} {request.path}")

    def validate_response(self, request: Request, response: Response, validated: Any) -> list[str]:
        body = json.loads(response.get_data()) if response.get_data() else None
        return validated.validator.validate_response(validated.operation_id, response.status_code, body)

    def error_response(self, status: int, code: str, message: str) -> Response:
        codes = {400: "InvalidInput", 403: "Unauthorized", 404: "NotFound", 429: "QuotaExceeded"}
        return self.json_response({"errors": [{"code": codes.get(status, "InternalFailure"), "message": message}]}, status)

    def authorized(self, request: Request) -> bool:
        return self.tokens.is_valid(request.headers.get("x-amz-access-token"))

    def _handle(self, request: Request) -> Response:
        response = super()._handle(request)
        if response.status_code == 401:
            # SP-API says 403 "Unauthorized" for a missing or expired token.
            return self.error_response(403, "Unauthorized", "Access to requested resource is denied.")
        operation = request.environ.get("fake.operation")
        if operation and response.status_code < 400:
            rate, _burst = self.rate_limits.get(operation) or self.usage_plans.get(operation, (None, None))
            if rate is not None:
                response.headers["x-amzn-RateLimit-Limit"] = f"{rate:g}"
        return response

    def rate_limited(self, request: Request, validated: ValidatedRequest) -> Response | None:
        operation = validated.operation_id
        request.environ["fake.operation"] = operation
        if operation not in self.rate_limits:
            return None
        rate, burst = self.rate_limits[operation]
        now = time.monotonic()
        with self._lock:
            tokens, when = self._buckets.get(operation, (float(burst), now))
            tokens = min(float(burst), tokens + (now - when) * rate)
            if tokens < 1.0:
                self._buckets[operation] = (tokens, now)
                self.throttled += 1
                return self.error_response(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")
            self._buckets[operation] = (tokens - 1.0, now)
        return None

    def extra_response(self, request: Request) -> Response | None:
        """Pre-signed document URLs: outside the SP-API spec, like S3 is."""
        if request.path.startswith(UPLOADS) and request.method == "PUT":
            document_id = request.path[len(UPLOADS):]
            if document_id not in self.documents:
                return Response("NoSuchUpload", status=404)
            problems = self._feed_problems(request.get_data())
            if problems:
                return self.reject(request, "JSON_LISTINGS_FEED: " + "; ".join(problems))
            with self._lock:
                self.documents[document_id] = request.get_data()
            return Response("", status=200)
        if request.path.startswith(DOWNLOADS) and request.method == "GET":
            report = self.reports.get(request.path[len(DOWNLOADS):])
            if report is None:
                return Response("NoSuchKey", status=404)
            return self.json_response(report)
        return None

    def _feed_problems(self, data: bytes) -> list[str]:
        try:
            feed = json.loads(data)
        except ValueError as exc:
            return [f"not JSON ({exc})"]
        problems = [f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in self.feed_schema.iter_errors(feed)]
        for n, message in enumerate(feed.get("messages", []) if isinstance(feed, dict) else []):
            problems += [
                f"/messages/{n}/{'/'.join(map(str, e.absolute_path))}: {e.message}"
                for e in self.message_schema.iter_errors(message)
            ]
        return problems[:10]

    # -- listings --------------------------------------------------------------------------
    def _check_ids(self, seller_id: str, validated: ValidatedRequest) -> None:
        if seller_id != self.seller_id:
            raise SpecViolation(f"sellerId {seller_id} is not this seller")
        if validated.query.get("marketplaceIds") != [self.marketplace_id]:
            raise SpecViolation(f"marketplaceIds must be [{self.marketplace_id}]")

    def _apply_patches(self, sku: str, patches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply to a listing; returns ERROR issues (none on success)."""
        if sku in self.failing_listings:
            return [{"code": "90000900", "message": self.failing_listings[sku], "severity": "ERROR", "categories": ["INVALID_ATTRIBUTE"]}]
        if sku not in self.listings:
            return [{"code": "4000001", "message": f"SKU {sku} has no listing", "severity": "ERROR", "categories": ["MISSING_ATTRIBUTE"]}]
        issues = []
        for patch in patches:
            if patch.get("path") != "/attributes/fulfillment_availability":
                continue
            for entry in patch.get("value") or []:
                quantity = entry.get("quantity")
                if not isinstance(entry.get("fulfillment_channel_code"), str) or not isinstance(quantity, int) or quantity < 0:
                    issues.append({"code": "4000003", "message": "fulfillment_availability needs fulfillment_channel_code and quantity >= 0", "severity": "ERROR", "attributeNames": ["fulfillment_availability"], "categories": ["INVALID_ATTRIBUTE"]})
                elif entry["fulfillment_channel_code"] == "DEFAULT":
                    self.listings[sku] = quantity
        return issues

    def patch_item(self, request: Request, validated: ValidatedRequest, seller_id: str, sku: str) -> Response:
        self._check_ids(seller_id, validated)
        with self._lock:
            issues = self._apply_patches(sku, validated.body["patches"])
        body = {"sku": sku, "status": "INVALID" if issues else "ACCEPTED",
                "submissionId": uuid.uuid4().hex, "issues": issues}
        return self.json_response(body)

    def get_item(self, request: Request, validated: ValidatedRequest, seller_id: str, sku: str) -> Response:
        self._check_ids(seller_id, validated)
        with self._lock:
            if sku not in self.listings:
                return self.error_response(404, "NotFound", f"SKU {sku} not found")
            body: dict[str, Any] = {"sku": sku}
            if "fulfillmentAvailability" in (validated.query.get("includedData") or []):
                body["fulfillmentAvailability"] = [
                    {"fulfillmentChannelCode": "DEFAULT", "quantity": self.listings[sku]}
                ]
            return self.json_response(body)

    # -- feeds ------------------------------------------------------------------------------
    def create_document(self, request: Request, validated: ValidatedRequest) -> Response:
        document_id = f"amzn1.tortuga.4.eu.{uuid.uuid4()}"
        with self._lock:
            self.documents[document_id] = None
        return self.json_response(
            {"feedDocumentId": document_id, "url": request.host_url.rstrip("/") + UPLOADS + document_id}, 201
        )

    def create_feed(self, request: Request, validated: ValidatedRequest) -> Response:
        spec = validated.body
        if spec["feedType"] != "JSON_LISTINGS_FEED":
            raise SpecViolation("this fake processes JSON_LISTINGS_FEED only")
        with self._lock:
            if self.documents.get(spec["inputFeedDocumentId"]) is None:
                return self.error_response(400, "InvalidInput", "inputFeedDocumentId has no uploaded content")
            feed_id = str(50000 + next(self._ids))
            self.feeds[feed_id] = {
                "feedId": feed_id, "feedType": spec["feedType"], "marketplaceIds": spec["marketplaceIds"],
                "createdTime": iso_z(dt.datetime.now(dt.timezone.utc)), "processingStatus": "IN_QUEUE",
                "_polls": self.feed_polls, "_input": spec["inputFeedDocumentId"],
            }
        return self.json_response({"feedId": feed_id}, 202)

    def _process_feed(self, feed: dict[str, Any]) -> None:
        document = json.loads(self.documents[feed["_input"]] or b"{}")
        issues = []
        accepted = invalid = 0
        for message in document.get("messages", []):
            found = self._apply_patches(message["sku"], message.get("patches") or [])
            for issue in found:
                issues.append({"messageId": message["messageId"], "code": issue["code"], "severity": "ERROR", "message": issue["message"]})
            invalid += bool(found)
            accepted += not found
        report = {
            "header": {"sellerId": self.seller_id, "version": "2.0", "feedId": feed["feedId"]},
            "issues": issues,
            "summary": {"errors": len(issues), "warnings": 0, "messagesProcessed": accepted + invalid,
                        "messagesAccepted": accepted, "messagesInvalid": invalid},
        }
        problems = [e.message for e in self.report_schema.iter_errors(report)]
        self.invalid_responses.extend(f"processing report: {p}" for p in problems)
        report_id = f"amzn1.tortuga.4.eu.{uuid.uuid4()}"
        self.reports[report_id] = report
        feed.update(processingStatus="DONE", resultFeedDocumentId=report_id,
                    processingEndTime=iso_z(dt.datetime.now(dt.timezone.utc)))

    def get_feed(self, request: Request, validated: ValidatedRequest, feed_id: str) -> Response:
        with self._lock:
            feed = self.feeds.get(feed_id)
            if feed is None:
                return self.error_response(404, "NotFound", "feed not found")
            if feed["processingStatus"] != "DONE":
                feed["_polls"] -= 1
                feed["processingStatus"] = "IN_PROGRESS"
                if feed["_polls"] <= 0:
                    self._process_feed(feed)
            return self.json_response({k: v for k, v in feed.items() if not k.startswith("_")})

    def get_document(self, request: Request, validated: ValidatedRequest, document_id: str) -> Response:
        with self._lock:
            if document_id not in self.reports:
                return self.error_response(404, "NotFound", "document not found")
        return self.json_response(
            {"feedDocumentId": document_id, "url": request.host_url.rstrip("/") + DOWNLOADS + document_id}
        )

    # -- orders -------------------------------------------------------------------------------
    def get_orders(self, request: Request, validated: ValidatedRequest) -> Response:
        query = validated.query
        if query.get("MarketplaceIds") != [self.marketplace_id]:
            raise SpecViolation(f"MarketplaceIds must be [{self.marketplace_id}]")
        size = query.get("MaxResultsPerPage", self.orders_page_size)
        if not 1 <= size <= 100:
            raise SpecViolation("MaxResultsPerPage must be 1 - 100")
        with self._lock:
            if "NextToken" in query:
                if query["NextToken"] not in self._next_tokens:
                    return self.error_response(400, "InvalidInput", "Invalid NextToken")
                criteria, offset = self._next_tokens.pop(query["NextToken"])
            else:
                # The spec: "Either the CreatedAfter parameter or the LastUpdatedAfter parameter is required."
                if not (query.get("CreatedAfter") or query.get("LastUpdatedAfter") or query.get("AmazonOrderIds")):
                    raise SpecViolation("CreatedAfter or LastUpdatedAfter is required")
                if query.get("LastUpdatedAfter") and (query.get("CreatedAfter") or query.get("CreatedBefore")):
                    raise SpecViolation("CreatedAfter/CreatedBefore cannot be set with LastUpdatedAfter")
                criteria, offset = dict(query), 0
            try:
                after = parse_time(criteria.get("LastUpdatedAfter"))
            except ValueError:
                raise SpecViolation("LastUpdatedAfter is not ISO 8601") from None
            matching = [o for o in self.orders if after is None or parse_time(o["LastUpdateDate"]) >= after]
            matching.sort(key=lambda o: o["LastUpdateDate"])
            if self.duplicate_order_events:
                matching = [o for order in matching for o in (order, order)]
            page = matching[offset : offset + size]
            payload: dict[str, Any] = {"Orders": page, "LastUpdatedBefore": iso_z(dt.datetime.now(dt.timezone.utc))}
            if offset + size < len(matching):
                token = uuid.uuid4().hex
                self._next_tokens[token] = (criteria, offset + size)
                payload["NextToken"] = token
            return self.json_response({"payload": payload})

    def get_order_items(self, request: Request, validated: ValidatedRequest, order_id: str) -> Response:
        with self._lock:
            items = self.order_items.get(order_id)
            if items is None:
                return self.error_response(404, "NotFound", "order not found")
            order = next(o for o in self.orders if o["AmazonOrderId"] == order_id)
            if order["OrderStatus"] in ("Pending", "PendingAvailability"):
                # The spec: a Pending order's items come without pricing until payment is authorised.
                items = [{k: v for k, v in item.items() if k != "ItemPrice"} for item in items]
            return self.json_response({"payload": {"AmazonOrderId": order_id, "OrderItems": items}})
