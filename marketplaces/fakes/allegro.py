"""A fake Allegro REST API: offers' stock and publication, quantity-change and publication commands,
order events."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from marketplaces.fakes.base import FakeServer, SpecViolation
from marketplaces.fakes.oauth import TokenIssuer
from marketplaces.fakes.openapi3 import validator_for

MEDIA_TYPE = "application/vnd.allegro.public.v1+json"


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class _Command:
    command_id: str
    body: str
    value: int | str  # the FIXED quantity, or the publication action (ACTIVATE | END)
    offer_ids: list[str]
    created_at: str
    polls_left: int
    completed_at: str | None = None
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)


class FakeAllegro(FakeServer):
    """Credentials it accepts: ``client_id``/``client_secret``/``refresh_token`` below.

    Refresh tokens rotate on every grant, like Allegro's. ``command_polls`` is how
    many status polls a command stays in progress before its tasks finish.
    """

    channel = "allegro"
    token_path = "/auth/oauth/token"

    def __init__(
        self,
        *,
        client_id: str = "allegro-client",
        client_secret: str = "allegro-secret",
        refresh_token: str = "allegro-refresh-0",
        command_polls: int = 1,
        token_expires_in: int = 43200,
    ):
        super().__init__()
        self.tokens = TokenIssuer(
            client_id, client_secret, refresh_token,
            rotate_refresh_token=True, expires_in=token_expires_in,
        )
        self.validator = validator_for("allegro", "/", (MEDIA_TYPE,))
        self.command_polls = command_polls
        self.offers: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, _Command] = {}
        self.publication_commands: dict[str, _Command] = {}
        self.checkout_forms: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._event_ids = itertools.count(1_000_001)
        self.routes = Map(
            [
                Rule("/sale/offer-quantity-change-commands/<command_id>", methods=["PUT"], endpoint="put_command"),
                Rule("/sale/offer-quantity-change-commands/<command_id>", methods=["GET"], endpoint="get_command"),
                Rule("/sale/offer-quantity-change-commands/<command_id>/tasks", methods=["GET"], endpoint="get_tasks"),
                Rule("/sale/offer-publication-commands/<command_id>", methods=["PUT"], endpoint="put_publication"),
                Rule("/sale/offer-publication-commands/<command_id>", methods=["GET"], endpoint="get_publication"),
                Rule("/sale/offer-publication-commands/<command_id>/tasks", methods=["GET"],
                     endpoint="get_publication_tasks"),
                Rule("/sale/product-offers/<offer_id>", methods=["GET"], endpoint="get_offer"),
                Rule("/sale/product-offers/<offer_id>", methods=["PATCH"], endpoint="patch_offer"),
                Rule("/order/events", methods=["GET"], endpoint="get_events"),
                Rule("/order/checkout-forms/<form_id>", methods=["GET"], endpoint="get_checkout_form"),
            ]
        )

    # -- seeding --------------------------------------------------------------------
    def add_offer(self, offer_id: str, quantity: int, *, sku: str | None = None, name: str | None = None) -> None:
        with self._lock:
            self.offers[offer_id] = {
                "quantity": quantity, "sku": sku or f"SKU-{offer_id}",
                "name": name or f"Offer {offer_id}", "status": "ACTIVE",
            }

    def quantity(self, offer_id: str) -> int:
        return self.offers[offer_id]["quantity"]

    def status(self, offer_id: str) -> str:
        return self.offers[offer_id]["status"]

    def shown(self, offer_id: str) -> int:
        """What a buyer can buy: only an ACTIVE offer sells its stock."""
        offer = self.offers[offer_id]
        return offer["quantity"] if offer["status"] == "ACTIVE" else 0

    def add_order(
        self,
        lines: list[tuple[str, int, str, str]],
        *,
        order_id: str | None = None,
        buyer_email: str = "kupujacy@example.com",
        buyer_login: str = "Kupujacy_1",
        first_name: str = "Jan",
        last_name: str = "Kowalski",
        phone: str | None = "+48500600700",
        status: str = "READY_FOR_PROCESSING",
        delivery_method: str = "InPost Paczkomaty 24/7",
        events: tuple[str, ...] = ("BOUGHT", "FILLED_IN", "READY_FOR_PROCESSING"),
    ) -> str:
        """``lines``: (offer id, quantity, unit price as "12.34", currency). Returns the checkout form id."""
        form_id = order_id or str(uuid.uuid4())
        now = _now()
        line_items = []
        for offer_id, quantity, amount, currency in lines:
            offer = self.offers.get(offer_id, {"sku": None, "name": f"Offer {offer_id}"})
            reference: dict[str, Any] = {"id": offer_id, "name": offer["name"]}
            if offer.get("sku"):
                reference["external"] = {"id": offer["sku"]}
            price = {"amount": amount, "currency": currency}
            line_items.append(
                {
                    "id": str(uuid.uuid4()), "offer": reference, "quantity": quantity,
                    "originalPrice": price, "price": price, "boughtAt": now,
                }
            )
        total = sum(float(a) * q for _, q, a, _ in lines)
        currency = lines[0][3] if lines else "PLN"
        buyer = {
            "id": "buyer-" + buyer_login, "email": buyer_email, "login": buyer_login,
            "firstName": first_name, "lastName": last_name, "guest": False,
        }
        if phone:
            buyer["phoneNumber"] = phone
        form = {
            "id": form_id,
            "buyer": buyer,
            "status": status,
            "lineItems": line_items,
            "surcharges": [],
            "summary": {"totalToPay": {"amount": f"{total:.2f}", "currency": currency}},
            "delivery": {
                "method": {"id": "inpost-locker", "name": delivery_method},
                "address": {
                    "firstName": first_name, "lastName": last_name, "street": "Marszałkowska 1",
                    "city": "Warszawa", "zipCode": "00-001", "countryCode": "PL",
                },
            },
            "updatedAt": now,
            "revision": uuid.uuid4().hex[:8],
        }
        with self._lock:
            self.checkout_forms[form_id] = form
            for event_type in events:
                self._event(form, event_type, now)
        return form_id

    def _event(self, form: dict[str, Any], event_type: str, now: str) -> None:
        buyer = form["buyer"]
        self.events.append(
            {
                "id": str(next(self._event_ids)),
                "type": event_type,
                "occurredAt": now,
                "order": {
                    "seller": {"id": "seller-1"},
                    "buyer": {k: buyer[k] for k in ("id", "email", "login", "guest")},
                    "lineItems": [
                        {k: li[k] for k in ("id", "offer", "quantity", "price", "boughtAt")}
                        for li in form["lineItems"]
                    ],
                    "checkoutForm": {"id": form["id"], "revision": form["revision"]},
                    "marketplace": {"id": "allegro-pl"},
                },
            }
        )

    def change_order(self, form_id: str, event: str, *, status: str | None = None,
                     fulfillment: str | None = None) -> None:
        """What happens to an order after it was bought, as Allegro journals it: paid
        (``READY_FOR_PROCESSING``), cancelled (``BUYER_CANCELLED``, ``AUTO_CANCELLED``), the seller's
        fulfilment status changed (``FULFILLMENT_STATUS_CHANGED``, e.g. to RETURNED)."""
        now = _now()
        with self._lock:
            form = self.checkout_forms[form_id]
            if status is not None:
                form["status"] = status
            if fulfillment is not None:
                form["fulfillment"] = {"status": fulfillment}
            form["updatedAt"] = now
            form["revision"] = uuid.uuid4().hex[:8]
            self._event(form, event, now)

    # -- server hooks -------------------------------------------------------------------
    def validate_request(self, request: Request) -> Any:
        accept = request.headers.get("Accept", "")
        if MEDIA_TYPE not in accept:
            raise SpecViolation(f"Accept must include {MEDIA_TYPE} (got {accept!r})")
        return self.validator.validate_request(request)

    def validate_response(self, request: Request, response: Response, validated: Any) -> list[str]:
        return self.validator.validate_response(request, response)

    def error_response(self, status: int, code: str, message: str) -> Response:
        if status == 401:
            return self.json_response(
                {"error": "invalid_token", "error_description": message}, status, MEDIA_TYPE
            )
        return self.json_response(
            {"errors": [{"code": code, "message": message, "userMessage": message, "details": None, "path": None}]},
            status, MEDIA_TYPE,
        )

    def authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and self.tokens.is_valid(header[7:])

    # -- quantity commands ---------------------------------------------------------------
    def put_command(self, request: Request, validated: Any, command_id: str) -> Response:
        body = validated.body
        modification = body.get("modification") or {}
        # Rules the spec states in prose: one way to change, FIXED means "new stock > 0",
        # and at most 1000 offers.
        if modification.get("changeType") is None or modification.get("value") is None:
            raise SpecViolation("modification.changeType and modification.value are required")
        if modification["changeType"] == "FIXED" and modification["value"] <= 0:
            raise SpecViolation("FIXED needs a new stock quantity > 0")
        offer_ids = self._criteria_offers(body)
        if modification["changeType"] == "GAIN":
            raise SpecViolation("this fake implements FIXED only")
        return self._register(self.commands, self._finish, command_id, body, modification["value"], offer_ids,
                              "stock.available")

    def _register(self, commands: dict[str, _Command], finish: Any, command_id: str, body: dict[str, Any],
                  value: int | str, offer_ids: list[str], changed: str) -> Response:
        """A new command with a NEW task per offer; a command id used before is a 409, as on Allegro."""
        with self._lock:
            if command_id in commands:
                return self.error_response(409, "CommandAlreadyExists", "Command id was already used")
            command = _Command(command_id, json.dumps(body, sort_keys=True), value, offer_ids, _now(),
                               self.command_polls)
            for offer_id in offer_ids:
                command.tasks[offer_id] = {"offer": {"id": offer_id}, "status": "NEW", "field": changed}
            commands[command_id] = command
            if command.polls_left <= 0:
                finish(command)
            return self.json_response(self._report(command), 201, MEDIA_TYPE)

    def _finish(self, command: _Command) -> None:
        for offer_id, task in command.tasks.items():
            reason = self.failing_listings.get(offer_id)
            if reason is None and offer_id not in self.offers:
                reason = "The offer does not exist."
            if reason is None:
                self.offers[offer_id]["quantity"] = command.value
                task["status"] = "SUCCESS"
                task["message"] = ""
                task["errors"] = []
            else:
                task["status"] = "FAIL"
                task["message"] = reason
                task["errors"] = [{"code": "OFFER_QUANTITY_CHANGE_FAILED", "message": reason, "userMessage": reason}]
        command.completed_at = _now()

    @staticmethod
    def _report(command: _Command) -> dict[str, Any]:
        statuses = [t["status"] for t in command.tasks.values()]
        return {
            "id": command.command_id,
            "createdAt": command.created_at,
            "completedAt": command.completed_at,
            "taskCount": {
                "total": len(statuses),
                "success": statuses.count("SUCCESS"),
                "failed": statuses.count("FAIL"),
            },
        }

    def _polled(self, commands: dict[str, _Command], finish: Any, command_id: str) -> Response:
        """A status poll: the command finishes after ``command_polls`` of them."""
        with self._lock:
            command = commands.get(command_id)
            if command is None:
                return self.error_response(404, "NotFound", "Command not found")
            if command.completed_at is None:
                command.polls_left -= 1
                if command.polls_left <= 0:
                    finish(command)
            return self.json_response(self._report(command), 200, MEDIA_TYPE)

    def _tasks(self, commands: dict[str, _Command], validated: Any, command_id: str) -> Response:
        with self._lock:
            command = commands.get(command_id)
            if command is None:
                return self.error_response(404, "NotFound", "Command not found")
            limit = int(validated.query.get("limit", 100))
            offset = int(validated.query.get("offset", 0))
            tasks = list(command.tasks.values())[offset : offset + limit]
            return self.json_response({"tasks": tasks}, 200, MEDIA_TYPE)

    def get_command(self, request: Request, validated: Any, command_id: str) -> Response:
        return self._polled(self.commands, self._finish, command_id)

    def get_tasks(self, request: Request, validated: Any, command_id: str) -> Response:
        return self._tasks(self.commands, validated, command_id)

    # -- publication commands -------------------------------------------------------------
    @staticmethod
    def _criteria_offers(body: dict[str, Any]) -> list[str]:
        """Offer ids of a command's offerCriteria, with the limits the spec states in prose."""
        criteria = body.get("offerCriteria") or []
        offer_ids = [offer.get("id") for criterion in criteria for offer in criterion.get("offers") or []]
        if not offer_ids:
            raise SpecViolation("offerCriteria must name at least one offer")
        if len(offer_ids) > 1000:
            raise SpecViolation(f"{len(offer_ids)} offers in one command; at most 1000")
        if any(c.get("type") != "CONTAINS_OFFERS" for c in criteria):
            raise SpecViolation("offerCriteria.type must be CONTAINS_OFFERS")
        return offer_ids

    def put_publication(self, request: Request, validated: Any, command_id: str) -> Response:
        body = validated.body or {}
        action = (body.get("publication") or {}).get("action")
        if action is None:
            raise SpecViolation("publication.action is required (ACTIVATE or END)")
        return self._register(self.publication_commands, self._finish_publication, command_id, body, action,
                              self._criteria_offers(body), "publication.status")

    def _finish_publication(self, command: _Command) -> None:
        for offer_id, task in command.tasks.items():
            offer = self.offers.get(offer_id)
            reason = self.failing_listings.get(offer_id)
            if reason is None and offer is None:
                reason = "The offer does not exist."
            if reason is None and command.value == "ACTIVATE" and offer["quantity"] <= 0:
                reason = "An offer without stock cannot be activated."
            if reason is None:
                # Activating an active offer (or ending an ended one) changes nothing and succeeds.
                offer["status"] = "ACTIVE" if command.value == "ACTIVATE" else "ENDED"
                task.update(status="SUCCESS", message="", errors=[])
            else:
                task.update(status="FAIL", message=reason, errors=[
                    {"code": "OFFER_PUBLICATION_FAILED", "message": reason, "userMessage": reason}])
        command.completed_at = _now()

    def get_publication(self, request: Request, validated: Any, command_id: str) -> Response:
        return self._polled(self.publication_commands, self._finish_publication, command_id)

    def get_publication_tasks(self, request: Request, validated: Any, command_id: str) -> Response:
        return self._tasks(self.publication_commands, validated, command_id)

    # -- offers --------------------------------------------------------------------------
    def _offer_body(self, offer_id: str) -> dict[str, Any]:
        offer = self.offers[offer_id]
        return {
            "id": offer_id,
            "name": offer["name"],
            "external": {"id": offer["sku"]},
            "stock": {"available": offer["quantity"], "unit": "UNIT"},
            "publication": {"status": offer["status"]},
        }

    def get_offer(self, request: Request, validated: Any, offer_id: str) -> Response:
        with self._lock:
            if offer_id not in self.offers:
                return self.error_response(404, "NotFoundException", "Offer not found")
            return self.json_response(self._offer_body(offer_id), 200, MEDIA_TYPE)

    def patch_offer(self, request: Request, validated: Any, offer_id: str) -> Response:
        with self._lock:
            if offer_id not in self.offers:
                return self.error_response(404, "NotFoundException", "Offer not found")
            if offer_id in self.failing_listings:
                return self.error_response(422, "ValidationException", self.failing_listings[offer_id])
            stock = (validated.body or {}).get("stock") or {}
            if "available" in stock:
                self.offers[offer_id]["quantity"] = stock["available"]
                if stock["available"] == 0:
                    # Zero stock ends an active offer (SaleProductOffer stock.available).
                    self.offers[offer_id]["status"] = "ENDED"
            return self.json_response(self._offer_body(offer_id), 200, MEDIA_TYPE)

    # -- orders ----------------------------------------------------------------------------
    def get_events(self, request: Request, validated: Any) -> Response:
        query = validated.query
        start = int(query["from"]) if query.get("from") else 0
        limit = int(query.get("limit", 100))
        types = set(query.getlist("type"))
        with self._lock:
            chosen = [
                e for e in self.events
                if int(e["id"]) > start and (not types or e["type"] in types)
            ][:limit]
            if self.duplicate_order_events:
                # Redelivery: each event comes twice, back to back, within the page limit.
                chosen = [e for event in chosen for e in (event, event)][:limit]
            return self.json_response({"events": chosen}, 200, MEDIA_TYPE)

    def get_checkout_form(self, request: Request, validated: Any, form_id: str) -> Response:
        with self._lock:
            form = self.checkout_forms.get(form_id)
            if form is None:
                return self.error_response(404, "NotFound", "Checkout form not found")
            return self.json_response(form, 200, MEDIA_TYPE)
