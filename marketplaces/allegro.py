"""Allegro (allegro.pl, allegro.cz) REST API client.

Quantities: batch command ``PUT /sale/offer-quantity-change-commands/{commandId}``
(FIXED value, up to 1000 offers; the command id is a UUID we choose, so a retry
re-sends the same id), then the command and its tasks are polled. FIXED needs
a quantity above 0, so zero stock goes through ``PATCH /sale/product-offers/{id}``
with ``stock.available = 0`` (which ends the offer, as the spec describes). An ended
offer does not come back by itself when stock returns: it is activated again with a
publication command ``PUT /sale/offer-publication-commands/{commandId}`` (ACTIVATE, up
to 1000 offers, polled like the quantity command).
Orders: ``GET /order/events`` from the last event id, then each checkout form.
"""

from __future__ import annotations

import json
import time
import uuid
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
    SkuOutcome,
)
from marketplaces.batching import chunked, coalesce_updates, dedupe_orders, group_by_quantity, parse_time
from marketplaces.errors import ChannelAuthError, ChannelError, ChannelUnavailable
from marketplaces.http import ChannelSession, RetryPolicy
from marketplaces.money import to_minor_units
from marketplaces.registry import register

MEDIA_TYPE = "application/vnd.allegro.public.v1+json"
MAX_OFFERS_PER_COMMAND = 1000
MAX_EVENTS_PER_PAGE = 1000
QUANTITY_COMMANDS = "/sale/offer-quantity-change-commands"
PUBLICATION_COMMANDS = "/sale/offer-publication-commands"


@register("allegro")
class AllegroClient(ChannelClient):
    def __init__(
        self,
        session: ChannelSession,
        *,
        poll_interval: float = 1.0,
        poll_timeout: float = 120.0,
        event_types: Sequence[str] | None = None,
        events_page_size: int = MAX_EVENTS_PER_PAGE,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(session)
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.event_types = list(event_types) if event_types else None
        self.events_page_size = min(events_page_size, MAX_EVENTS_PER_PAGE)
        self._sleep = sleep

    @classmethod
    def from_config(
        cls,
        base_url: str,
        credentials: Mapping[str, str],
        *,
        token_url: str | None = None,
        on_refresh_token: Callable[[str], None] | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        **opts: Any,
    ) -> "AllegroClient":
        """Credentials: ``client_id``, ``client_secret``, ``refresh_token``.

        ``token_url`` defaults to ``{base_url}/auth/oauth/token`` (right for the
        fake; production is https://allegro.pl/auth/oauth/token while the API is
        https://api.allegro.pl). Allegro rotates refresh tokens: persist each one
        passed to ``on_refresh_token``.
        """
        client_id, client_secret, refresh_token = require(
            credentials, "client_id", "client_secret", "refresh_token", channel="allegro"
        )
        auth = RefreshTokenAuth(
            token_url or base_url.rstrip("/") + "/auth/oauth/token",
            client_id,
            client_secret,
            refresh_token,
            client_auth="basic",
            on_refresh_token=on_refresh_token,
            timeout=timeout,
        )
        session = ChannelSession(
            base_url, auth, timeout=timeout, retry=retry,
            default_headers={"Accept": MEDIA_TYPE},
        )
        return cls(session, **opts)

    # -- quantities -------------------------------------------------------------------
    def push_quantities(self, updates: Sequence[QuantityUpdate]) -> PushResult:
        """Per offer: 0 ends it, a positive figure is set by FIXED command and, where the offer may
        have been ended (``version`` 0 or unknown: sold out earlier, by us or by Allegro), activated
        again, since a restocked ENDED offer stays invisible to buyers.  Each offer gets its own
        outcome: an edit Allegro refuses, or a call that keeps failing, fails only its own offers."""
        outcomes: dict[str, SkuOutcome] = {}
        updates = coalesce_updates(updates)
        for update in updates:
            if update.quantity < 0:
                outcomes[update.listing_id] = _failed(update, "INVALID_QUANTITY", "quantity below zero")
        for update in [u for u in updates if u.quantity == 0]:
            outcomes[update.listing_id] = self._end_by_zero_stock(update)
        positive = [u for u in updates if u.quantity > 0]
        for quantity, group in group_by_quantity(positive).items():
            for batch in chunked(group, MAX_OFFERS_PER_COMMAND):
                outcomes.update(self._run_batch(QUANTITY_COMMANDS, _quantity_body(quantity, batch), batch))
        maybe_ended = [u for u in positive if u.version in (None, 0) and outcomes[u.listing_id].ok]
        for batch in chunked(maybe_ended, MAX_OFFERS_PER_COMMAND):
            activated = self._run_batch(PUBLICATION_COMMANDS, _publication_body("ACTIVATE", batch), batch)
            refused = [u for u in batch if not activated[u.listing_id].ok]
            # Allegro may refuse to activate an offer that is active already: that is no failure.
            active = self.read_publication([u.listing_id for u in refused]) if refused else {}
            for update in batch:
                if activated[update.listing_id].ok or active.get(update.listing_id, ("", 0))[0] == "ACTIVE":
                    continue
                failure = activated[update.listing_id]
                outcomes[update.listing_id] = _failed(update, failure.code or "FAIL",
                                                      f"quantity set, but not activated: {failure.message}")
        return PushResult([outcomes[u.listing_id] for u in updates])

    def _end_by_zero_stock(self, update: QuantityUpdate) -> SkuOutcome:
        try:
            response = self.session.request(
                "PATCH",
                f"/sale/product-offers/{update.listing_id}",
                data=_json({"stock": {"available": 0}}),
                headers={"Content-Type": MEDIA_TYPE},
            )
        except ChannelAuthError:
            raise
        except ChannelError as exc:
            return _failed(update, _code(exc), str(exc))
        if response.status_code in (200, 202):
            return SkuOutcome(update.sku, update.listing_id, update.quantity, True)
        return _failed(update, f"HTTP_{response.status_code}", _error_text(response))

    def _run_batch(self, commands: str, body: dict[str, Any], batch: list[QuantityUpdate]) -> dict[str, SkuOutcome]:
        """One command (quantity or publication) for up to 1000 offers, polled to its per-offer tasks."""
        try:
            return self._run_command(commands, body, batch)
        except ChannelAuthError:
            raise
        except ChannelError as exc:
            return {u.listing_id: _failed(u, _code(exc), str(exc)) for u in batch}

    def _run_command(self, commands: str, body: dict[str, Any], batch: list[QuantityUpdate]) -> dict[str, SkuOutcome]:
        command_id = str(uuid.uuid4())
        response = self.session.request(
            "PUT", f"{commands}/{command_id}", data=_json(body), headers={"Content-Type": MEDIA_TYPE},
        )
        # 409 means this very command id is already registered: an earlier attempt
        # reached Allegro but its answer was lost, so we go on to poll it.
        if response.status_code not in (201, 409):
            return {u.listing_id: _failed(u, f"HTTP_{response.status_code}", _error_text(response)) for u in batch}
        if not self._wait_for_command(commands, command_id):
            return {u.listing_id: _failed(u, "COMMAND_PENDING", f"command {command_id} still running") for u in batch}
        statuses = self._task_statuses(commands, command_id)
        outcomes = {}
        for update in batch:
            status, message = statuses.get(update.listing_id, ("MISSING", "no task reported for offer"))
            outcomes[update.listing_id] = (SkuOutcome(update.sku, update.listing_id, update.quantity, True)
                                           if status == "SUCCESS" else _failed(update, status, message))
        return outcomes

    def _wait_for_command(self, commands: str, command_id: str) -> bool:
        deadline = time.monotonic() + self.poll_timeout
        while True:
            response = self.session.request("GET", f"{commands}/{command_id}")
            _expect(response, 200)
            report = response.json()
            counts = report.get("taskCount") or {}
            total = counts.get("total", 0)
            done = counts.get("success", 0) + counts.get("failed", 0)
            if report.get("completedAt") or (total and done >= total):
                return True
            if time.monotonic() >= deadline:
                return False
            self._sleep(self.poll_interval)

    def _task_statuses(self, commands: str, command_id: str) -> dict[str, tuple[str, str]]:
        response = self.session.request(
            "GET",
            f"{commands}/{command_id}/tasks",
            params={"limit": MAX_OFFERS_PER_COMMAND, "offset": 0},
        )
        _expect(response, 200)
        statuses: dict[str, tuple[str, str]] = {}
        for task in response.json().get("tasks", []):
            offer_id = (task.get("offer") or {}).get("id")
            if offer_id is None:
                continue
            message = task.get("message") or "; ".join(
                e.get("message", "") for e in task.get("errors") or []
            )
            statuses[offer_id] = (task.get("status") or "UNKNOWN", message)
        return statuses

    def read_publication(self, listing_ids: Iterable[str]) -> dict[str, tuple[str, int]]:
        """{offer id: (publication status, stock)}; offers Allegro does not know (404) are left out."""
        found: dict[str, tuple[str, int]] = {}
        for offer_id in dict.fromkeys(listing_ids):
            response = self.session.request("GET", f"/sale/product-offers/{offer_id}")
            if response.status_code == 404:
                continue
            _expect(response, 200)
            offer = response.json()
            stock = offer.get("stock") or {}
            status = (offer.get("publication") or {}).get("status") or "UNKNOWN"
            found[offer_id] = (status, int(stock.get("available") or 0))
        return found

    def read_quantities(self, listing_ids: Iterable[str]) -> dict[str, int]:
        """What buyers can buy: the stock of an ACTIVE offer, 0 for one that is not (ENDED, INACTIVE,
        ACTIVATING) whatever stock it keeps.  Offers Allegro does not know (404) are left out."""
        return {offer_id: (stock if status == "ACTIVE" else 0)
                for offer_id, (status, stock) in self.read_publication(listing_ids).items()}

    # -- orders -------------------------------------------------------------------------
    def pull_orders(self, cursor: str | None, known: KnownOrders | None = None) -> tuple[list[ChannelOrder], str | None]:
        """``cursor`` is the id of the last order event seen (None: Allegro's default window).
        Every event (bought, paid, cancelled, fulfilment changed) leads to the checkout form as it is now."""
        form_ids: list[str] = []
        while True:
            params: dict[str, Any] = {"limit": self.events_page_size}
            if cursor:
                params["from"] = cursor
            if self.event_types:
                params["type"] = self.event_types
            response = self.session.request("GET", "/order/events", params=params)
            _expect(response, 200)
            events = response.json().get("events", [])
            for event in events:
                form = (event.get("order") or {}).get("checkoutForm") or {}
                if form.get("id"):
                    form_ids.append(form["id"])
            if events:
                cursor = events[-1]["id"]
            if len(events) < self.events_page_size:
                break
        orders = [self._checkout_form(form_id) for form_id in dict.fromkeys(form_ids)]
        return dedupe_orders(o for o in orders if o is not None), cursor

    def _checkout_form(self, form_id: str) -> ChannelOrder | None:
        response = self.session.request("GET", f"/order/checkout-forms/{form_id}")
        if response.status_code == 404:
            return None
        _expect(response, 200)
        return order_from_checkout_form(response.json())


def order_state(form: dict[str, Any]) -> str:
    """CheckoutFormStatus: BOUGHT and FILLED_IN are not paid yet, READY_FOR_PROCESSING is paid,
    CANCELLED is cancelled (by the buyer or by Allegro); the seller's fulfilment status RETURNED
    means the goods came back."""
    status = form.get("status")
    fulfilment = (form.get("fulfillment") or {}).get("status")
    if status == "CANCELLED" or fulfilment == "CANCELLED":
        return OrderState.CANCELLED
    if status != "READY_FOR_PROCESSING":
        return OrderState.PENDING
    if fulfilment == "RETURNED":
        return OrderState.REFUNDED
    return OrderState.PAID


def order_from_checkout_form(form: dict[str, Any]) -> ChannelOrder:
    buyer = form.get("buyer") or {}
    delivery = form.get("delivery") or {}
    address = delivery.get("address")
    lines = []
    bought = []
    for item in form.get("lineItems", []):
        offer = item.get("offer") or {}
        price = item.get("price") or {}
        external = offer.get("external") or {}
        lines.append(
            OrderLine(
                sku=external.get("id"),
                listing_id=offer.get("id"),
                quantity=int(item.get("quantity", 0)),
                unit_price=to_minor_units(price["amount"], price["currency"]),
                currency=price["currency"],
                name=offer.get("name"),
            )
        )
        if item.get("boughtAt"):
            bought.append(parse_time(item["boughtAt"]))
    name = " ".join(p for p in (buyer.get("firstName"), buyer.get("lastName")) if p) or buyer.get("login")
    return ChannelOrder(
        channel="allegro",
        channel_order_id=form["id"],
        created_at=min(bought) if bought else None,
        updated_at=parse_time(form.get("updatedAt")),
        status=form.get("status"),
        state=order_state(form),
        buyer_email=buyer.get("email"),
        buyer_phone=buyer.get("phoneNumber"),
        buyer_name=name,
        lines=tuple(lines),
        delivery_method=(delivery.get("method") or {}).get("name"),
        delivery_address=DeliveryAddress(
            name=" ".join(p for p in (address.get("firstName"), address.get("lastName")) if p) or None,
            company=address.get("companyName"),
            street=address.get("street"),
            city=address.get("city"),
            postal_code=address.get("zipCode"),
            country_code=address.get("countryCode"),
            phone=address.get("phoneNumber"),
        )
        if address
        else None,
    )


def _quantity_body(quantity: int, batch: list[QuantityUpdate]) -> dict[str, Any]:
    return {"modification": {"changeType": "FIXED", "value": quantity}, "offerCriteria": _criteria(batch)}


def _publication_body(action: str, batch: list[QuantityUpdate]) -> dict[str, Any]:
    return {"publication": {"action": action}, "offerCriteria": _criteria(batch)}


def _criteria(batch: list[QuantityUpdate]) -> list[dict[str, Any]]:
    return [{"type": "CONTAINS_OFFERS", "offers": [{"id": u.listing_id} for u in batch]}]


def _failed(update: QuantityUpdate, code: str, message: str) -> SkuOutcome:
    return SkuOutcome(update.sku, update.listing_id, update.quantity, False, code, message)


def _code(exc: ChannelError) -> str:
    """UNAVAILABLE: still failing after retries (the channel, not the offer); else the HTTP status."""
    return "UNAVAILABLE" if isinstance(exc, ChannelUnavailable) else f"HTTP_{exc.status or 0}"


def _json(body: Any) -> str:
    return json.dumps(body)


def _error_text(response: Any) -> str:
    try:
        errors = response.json().get("errors") or []
        return "; ".join(e.get("message", "") for e in errors) or response.text[:300]
    except ValueError:
        return response.text[:300]


def _expect(response: Any, *statuses: int) -> None:
    if response.status_code not in statuses:
        raise ChannelError(
            f"allegro {response.request.method} {response.request.path_url}: HTTP {response.status_code}",
            status=response.status_code,
            body=response.text[:500],
        )
