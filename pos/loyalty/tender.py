"""Points as a tender at the till: spent online against the authority before the sale commits, given
back if the sale then fails.

The authority is this node's own ledger where it holds the programme (standalone, HQ), else HQ over the
network (a store).  While HQ cannot be reached the till refuses points (503 ``loyalty-offline``) unless an
offline allowance is plugged in: ``OFFLINE_ALLOWANCE`` is a callable (customer_id, amount, currency, key)
→ reference or None, the shape a fenced per-card allowance (built for gift cards) can take."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import requests
from flask import current_app
from sqlalchemy import select

from pos.loyalty import services
from pos.problems import ApiProblem
from pos.sales.models import Payment

log = logging.getLogger("pos.loyalty.tender")

OFFLINE_ALLOWANCE: Callable | None = None


class HqUnavailable(Exception):
    pass


def problem(error: services.LoyaltyError) -> ApiProblem:
    return ApiProblem(error.status, error.code, f"{error.field}: {error.reason}", field=error.field, **error.extra)


def offline() -> ApiProblem:
    return ApiProblem(503, "loyalty-offline", "payments: points are spent online at head office, which cannot "
                                              "be reached now; take another tender", field="payments",
                      retry_after=30)


class LocalLedger:
    """This node holds the programme: spend in its own short transaction."""

    def redeem(self, customer_id, amount: int, currency: str, key: str, channel: str) -> dict:
        with current_app.extensions["pos.db"].unit_of_work() as uow:
            try:
                entry, _ = services.redeem(uow.session, customer_id, amount, currency, key, channel)
            except services.LoyaltyError as error:
                raise problem(error) from None
            answer = {"id": str(entry.id), "points": -entry.points}
            uow.commit()
        return answer

    def void(self, redemption_id: str) -> None:
        with current_app.extensions["pos.db"].unit_of_work() as uow:
            entry = services.redemption(uow.session, redemption_id)
            services.give_back(uow.session, entry, f"void:{entry.key}", "void")
            uow.commit()

    def summary(self, customer_id) -> dict:
        with current_app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
            try:
                return services.summary(uow.session, customer_id)
            except services.LoyaltyError as error:
                raise problem(error) from None


class HqLedger:
    """A store: HQ holds the points; ask it with the store's token."""

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.headers, self.timeout = url, {"Authorization": f"Bearer {token}"}, timeout

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = requests.request(method, self.url + path, headers={**self.headers, **kwargs.pop("headers", {})},
                                        timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise HqUnavailable(str(exc)) from None
        if response.status_code >= 500 or response.status_code in (401, 403):
            log.warning("HQ answered %s to %s %s", response.status_code, method, path)
            raise HqUnavailable(f"HQ answered {response.status_code}")
        body = response.json()
        if response.status_code >= 400:
            detail = body.get("detail", "HQ refused the points")
            params = body.get("invalid_params") or [{}]
            extra = {k: v for k, v in body.items() if k in ("balance", "needed")}
            raise ApiProblem(response.status_code, body.get("type", "").rsplit("/", 1)[-1] or "hq-refused", detail,
                             field=params[0].get("name"), **extra)
        return body

    def redeem(self, customer_id, amount: int, currency: str, key: str, channel: str) -> dict:
        body = self._call("POST", "/api/v1/loyalty/redemptions", headers={"Idempotency-Key": key},
                          json={"customer_id": str(customer_id), "amount": amount, "currency": currency,
                                "channel": channel})
        return {"id": body["id"], "points": body["points"]}

    def void(self, redemption_id: str) -> None:
        self._call("POST", f"/api/v1/loyalty/redemptions/{redemption_id}/void")

    def summary(self, customer_id) -> dict:
        return self._call("GET", f"/api/v1/loyalty/accounts/{customer_id}")


def authority():
    config = current_app.config
    if config["POS_ROLE"] == "store":
        if not config["POS_HQ_URL"] or not config["POS_STORE_TOKEN"]:
            return None
        return HqLedger(config["POS_HQ_URL"], config["POS_STORE_TOKEN"], config["POS_HQ_LOOKUP_TIMEOUT_SECONDS"])
    return LocalLedger()


def summary(customer_id) -> dict:
    ledger = authority()
    if ledger is None:
        raise offline()
    try:
        return ledger.summary(customer_id)
    except HqUnavailable:
        raise offline() from None


@dataclass
class PointsTender:
    """The points spent for one checkout; ``payments`` carry each redemption's id as their reference."""

    payments: list
    spent: list = field(default_factory=list)

    def give_back_unless_sold(self) -> None:
        """The checkout failed: credit the points back, unless a sale of this till holds them after all
        (an earlier answer to the same Idempotency-Key)."""
        if not self.spent:
            return
        db = current_app.extensions["pos.db"]
        with db.unit_of_work(read_only=True) as uow:
            sold = set(uow.session.scalars(select(Payment.reference).where(
                Payment.method == services.POINTS, Payment.reference.in_(self.spent))))
        ledger = authority()
        for reference in self.spent:
            if reference in sold or ledger is None:
                continue
            try:
                ledger.void(reference)
            except (HqUnavailable, ApiProblem, services.LoyaltyError):
                log.warning("points of redemption %s not given back; HQ voids it on reconnect", reference)


def spend(payments: list, customer_id, idempotency_key: str | None, current_till: Callable) -> PointsTender:
    """Spend the points of every ``points`` payment before the checkout; the others pass unchanged.
    ``current_till()`` (who is selling where) is read only when points are paid."""
    if not any(p.method == services.POINTS for p in payments):
        return PointsTender(payments)
    if customer_id is None:
        raise ApiProblem(422, "invalid-field", "customer_id: points are paid from the attached customer's account",
                         field="customer_id")
    if not idempotency_key:
        raise ApiProblem(400, "idempotency-key-missing", "Idempotency-Key: paying with points needs one",
                         field="Idempotency-Key")
    till = current_till()
    terminal_code, store_code, currency = till.terminal.code, till.location.code, till.currency
    ledger = authority()
    tender = PointsTender([])
    for index, payment in enumerate(payments):
        if payment.method != services.POINTS:
            tender.payments.append(payment)
            continue
        key = f"till:{store_code}:{terminal_code}:{idempotency_key}:{index}"
        try:
            if ledger is None:
                raise HqUnavailable("no head office configured")
            answer = ledger.redeem(customer_id, payment.amount, currency, key, f"store:{store_code}")
            reference = answer["id"]
        except HqUnavailable:
            reference = OFFLINE_ALLOWANCE(customer_id, payment.amount, currency, key) if OFFLINE_ALLOWANCE else None
            if reference is None:
                tender.give_back_unless_sold()
                raise offline() from None
        except ApiProblem:
            tender.give_back_unless_sold()
            raise
        tender.spent.append(reference)
        tender.payments.append(payment.model_copy(update={"reference": reference}))
    return tender
