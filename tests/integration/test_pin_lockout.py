"""PIN lockout under parallel guessing: real threads, a real HTTP server, both databases."""
from __future__ import annotations

import threading

import requests
from sqlalchemy import select

from tests.integration.stock.served import served

GUESSES = 16


def _guess_in_parallel(base: str, payloads: list[dict]) -> list[requests.Response]:
    barrier = threading.Barrier(len(payloads))
    answers: list = [None] * len(payloads)

    def guess(index: int) -> None:
        barrier.wait()
        answers[index] = requests.post(f"{base}/api/v1/auth/login", json=payloads[index], timeout=120)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(payloads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_parallel_wrong_pins_never_exceed_the_limit(app):
    attempts = app.extensions["pos.settings"].pin_policy.attempts
    with served(app) as base:
        answers = _guess_in_parallel(base, [{"login": "demo", "pin": f"{i:04d}", "terminal": "T1"}
                                            for i in range(GUESSES)])
        statuses = sorted(a.status_code for a in answers)
        # Every guess was checked against the count of those before it: at most `attempts` were tried.
        assert statuses.count(401) == attempts, statuses
        assert statuses.count(423) == GUESSES - attempts, statuses
        locked = [a for a in answers if a.status_code == 423]
        for answer in locked:
            assert int(answer.headers["Retry-After"]) > 0
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            assert answer.json()["invalid_params"][0]["name"] == "pin"
        # The right PIN does not open a locked login either.
        right = requests.post(f"{base}/api/v1/auth/login", json={"login": "demo", "pin": "1234"}, timeout=60)
        assert right.status_code == 423 and int(right.headers["Retry-After"]) > 0
        # Another login is not affected.
        assert requests.post(f"{base}/api/v1/auth/login", json={"login": "anna", "pin": "4321"},
                             timeout=60).status_code == 201

    from pos.staff.models import AuditEntry
    with app.extensions["pos.db"].unit_of_work(read_only=True) as uow:
        audits = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "login_locked")).all()
        assert [a.subject for a in audits] == ["demo"]


def test_a_right_pin_resets_the_count_and_a_failed_request_keeps_no_attempt(app, client):
    from tests.conftest import login
    for _ in range(3):
        assert client.post("/api/v1/auth/login", json={"login": "demo", "pin": "0000"}).status_code == 401
    login(client)  # right PIN: the count starts again
    for _ in range(4):
        assert client.post("/api/v1/auth/login", json={"login": "demo", "pin": "0000"}).status_code == 401
    login(client)
    # A manager's right PIN on a request that fails for another reason is no attempt against the limit.
    boss = login(client, "boss", "9999")
    for _ in range(8):
        response = boss.put("/api/v1/baskets/0190f1d2-0000-7000-8000-000000000000/discount",
                            json={"percent": 50, "approval": {"login": "boss", "pin": "9999"}})
        assert response.status_code in (404, 422), response.get_json()
    login(client, "boss", "9999")
