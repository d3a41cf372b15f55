"""The same Idempotency-Key or the same natural key sent by many threads at once: the first answer or a
409, never a 5xx from a unique violation; one reservation in the end (real HTTP server, both databases)."""
from __future__ import annotations

import threading
import uuid

import requests
from sqlalchemy import func, select

from tests.integration.stock.conftest import check_stock, make_key
from tests.integration.stock.served import served

RACERS = 8


def _race(send) -> list[requests.Response]:
    barrier = threading.Barrier(RACERS)
    answers: list = [None] * RACERS

    def one(index: int) -> None:
        barrier.wait()
        answers[index] = send(index)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _reservations(app, reference: str) -> int:
    from pos.stock.models import Reservation
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        return uow.session.scalar(select(func.count()).select_from(Reservation)
                                  .where(Reservation.reference == reference))


def _reserve(base, key, reference, idempotency_key):
    return requests.post(f"{base}/api/v1/reservations", timeout=120, json={
        "channel": "webshop", "reference": reference, "ttl_seconds": 600,
        "lines": [{"sku": "SKU-000003", "quantity": 1}]},
        headers={"Authorization": f"Bearer {key}", "Idempotency-Key": idempotency_key})


def test_the_same_reference_from_many_threads_is_one_reservation(app):
    key = make_key(app)
    with served(app) as base:
        answers = _race(lambda i: _reserve(base, key, "cart-42", str(uuid.uuid4())))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, [(a.status_code, a.text[:200]) for a in answers]
    for answer in answers:
        assert answer.headers["Content-Type"].startswith(
            "application/problem+json" if answer.status_code == 409 else "application/json")
    assert _reservations(app, "cart-42") == 1
    check_stock(app)


def test_the_same_idempotency_key_from_many_threads_answers_as_the_first(app):
    key = make_key(app)
    same = str(uuid.uuid4())
    with served(app) as base:
        answers = _race(lambda i: _reserve(base, key, "cart-43", same))
    created = [a for a in answers if a.status_code == 201]
    first = [a for a in created if "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1, [(a.status_code, a.text[:200]) for a in answers]
    for answer in answers:
        assert answer.status_code in (201, 409), answer.text
        if answer.status_code == 201:  # the first answer, or its replay
            assert answer.json()["id"] == first[0].json()["id"]
    assert _reservations(app, "cart-43") == 1
    check_stock(app)
