"""Exactly once chain-wide: a single-use code sent at the same moment by two stores' tills and the web shop,
each through its own HQ process on the same PostgreSQL database, is redeemed once; the others are told why."""
from __future__ import annotations

import multiprocessing
import uuid

import pytest
from sqlalchemy import func, select

from pos.coupons.models import CouponRedemption
from tests.conftest import make_test_app
from tests.integration.coupons.coupon_fixtures import campaign

ROUNDS = 12
CALLERS = ("store:W01", "store:W02", "web")


def _caller(url: str, tmp: str, who: str, credential: str, codes: list[str], barrier, answers,
            customers: list[str] | None = None) -> None:
    """One HQ process (its own app, engine and pool) serving one caller; every round starts at the barrier."""
    app = make_test_app(url, __import__("pathlib").Path(tmp) / who.replace(":", "-"), POS_ROLE="hq")
    client = app.test_client()
    for index, code in enumerate(codes):
        body = {"code": code, "currency": "PLN", "reference": f"{who}-{index}",
                "lines": [{"product_group": "", "amount": 5000}], "customer_id": customers[index] if customers else None}
        barrier.wait(timeout=60)
        if who == "web":
            response = client.post("/api/v1/coupons/redeem", json=body, headers={
                "Authorization": f"Bearer {credential}", "Idempotency-Key": f"order-{index}"})
        else:
            response = client.post("/api/v1/sync/coupons/redeem", json={**body, "idempotency_key": f"sale-{index}"},
                                   headers={"Authorization": f"Bearer {credential}"})
        answers.put((who, index, response.status_code, (response.get_json() or {}).get("reason")))
    app.extensions["pos.db"].dispose()


def _race(hq, postgres_url, tmp_path, codes, customers=None) -> list:
    from pos.stores.auth import issue_token
    from pos.stores.services import create_location
    from sync.webshop.keys import add_client

    with hq.extensions["pos.db"].unit_of_work() as uow:
        tokens = {}
        for code in ("W01", "W02"):
            location = create_location(uow.session, code, f"Store {code}", "PL")
            uow.session.flush()
            tokens[f"store:{code}"] = issue_token(uow.session, location)
        _, tokens["web"] = add_client(uow.session, f"shop-{uuid.uuid4().hex[:6]}", ["coupons:write"])
        uow.commit()
    context = multiprocessing.get_context("spawn")
    barrier, answers = context.Barrier(len(CALLERS)), context.Queue()
    processes = [context.Process(target=_caller, args=(postgres_url, str(tmp_path), who, tokens[who], codes,
                                                       barrier, answers, customers)) for who in CALLERS]
    for process in processes:
        process.start()
    results = [answers.get(timeout=120) for _ in range(len(codes) * len(CALLERS))]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    return results


@pytest.fixture
def hq(postgres_url, tmp_path):
    from tests.conftest import _truncate_postgres
    _truncate_postgres(postgres_url)
    app = make_test_app(postgres_url, tmp_path, POS_ROLE="hq")
    yield app
    app.extensions["pos.db"].dispose()


def test_a_single_use_code_raced_by_two_stores_and_the_web_shop_is_redeemed_once(hq, postgres_url, tmp_path):
    _, codes = campaign(hq, currency="PLN", amount=500, issue=ROUNDS)
    results = _race(hq, postgres_url, tmp_path, codes)
    for index in range(ROUNDS):
        statuses = sorted((status, reason) for _, i, status, reason in results if i == index)
        assert statuses == [(201, None), (409, "already-redeemed"), (409, "already-redeemed")], statuses
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        per_code = dict(uow.session.execute(select(CouponRedemption.code, func.count())
                                            .group_by(CouponRedemption.code)).all())
    assert per_code == {code: 1 for code in codes}
    winners = {who for who, _, status, _ in results if status == 201}
    assert winners  # someone won each round; which one is the race's


def test_a_campaign_code_limited_to_once_per_customer_raced_from_three_places_is_used_once(hq, postgres_url,
                                                                                           tmp_path):
    campaign(hq, currency="PLN", percent_bp=1000, shared_code="ONCE", per_customer_limit=1)
    customers = [str(uuid.uuid4()) for _ in range(ROUNDS)]
    results = _race(hq, postgres_url, tmp_path, ["ONCE"] * ROUNDS, customers)
    for index in range(ROUNDS):
        statuses = sorted((status, reason) for _, i, status, reason in results if i == index)
        assert statuses == [(201, None), (409, "limit-reached"), (409, "limit-reached")], statuses
    with hq.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        per_customer = dict(uow.session.execute(select(CouponRedemption.customer_id, func.count())
                                                .group_by(CouponRedemption.customer_id)).all())
    assert {str(k): v for k, v in per_customer.items()} == {c: 1 for c in customers}
