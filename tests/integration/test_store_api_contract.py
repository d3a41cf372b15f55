"""Schemathesis against the served OpenAPI documents: the store's API on SQLite (the web-shop API has its own
contract test in tests/integration/stock) and HQ's whole document on PostgreSQL — sync, web shop, webhooks,
channels, stores — each with the credential it takes: no 5xx for any generated input, every answer as
documented.  Derandomized with a few examples per operation, so a run is repeatable and short."""
from __future__ import annotations

import os
import re
import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import drop_postgres_database, fresh_postgres_database, login, make_test_app, seed_store
from tests.integration.stock.conftest import make_key
from tests.integration.stock.served import served

WEBSHOP_PATHS = r"^/api/v1/(availability|reservations|orders|webhooks)"
# Logging out would revoke the token the rest of the run uses.
SKIPPED = r"^/api/v1/auth/logout$"


@pytest.fixture(scope="module")
def served_store(sqlite_template, tmp_path_factory, pin_hashes):
    tmp = tmp_path_factory.mktemp("store-contract")
    shutil.copyfile(sqlite_template, tmp / "pos.sqlite3")
    app = make_test_app(f"sqlite:///{tmp / 'pos.sqlite3'}", tmp)
    seed_store(app, pin_hashes, product_count=5)
    api = login(app.test_client())
    assert api.post("/api/v1/shifts", json={"opening_float": 1000}).status_code == 201
    with served(app) as base:
        yield base, api.token
    app.extensions["pos.db"].dispose()


def _check_operations(schema, base: str, headers_for, max_examples: int) -> tuple[int, list[str]]:
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1
        headers = headers_for(operation.path)

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case):
            # Schema-valid is not business-valid (an unknown basket is a 404), so that one check is left out.
            case.call_and_validate(base_url=base, headers=headers, excluded_checks=[positive_data_acceptance])
        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    return tested, failures


def test_store_api_matches_its_document(served_store):
    base, token = served_store
    schema = (schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
              .include(path_regex=r"^/api/v1/").exclude(path_regex=WEBSHOP_PATHS).exclude(path_regex=SKIPPED))
    tested, failures = _check_operations(schema, base, lambda path: {"Authorization": f"Bearer {token}"}, 6)
    assert tested >= 25
    assert not failures, "\n\n".join(failures)


@pytest.fixture(scope="module")
def served_hq(tmp_path_factory, pin_hashes):
    name = f"pos_contract_hq_{os.getpid()}"
    url = fresh_postgres_database(name)
    tmp = tmp_path_factory.mktemp("hq-contract")
    app = make_test_app(url, tmp, POS_ROLE="hq", POS_STORE_CODE="HQ")
    seed_store(app, pin_hashes, product_count=5)
    runner = app.test_cli_runner()
    added = runner.invoke(args=["stores", "add", "S2", "Sklep Dwa", "--country", "PL"])
    assert added.exit_code == 0, added.output
    store_token = re.search(r"POS_STORE_TOKEN=(\S+)", added.output).group(1)
    manager = login(app.test_client(), "boss", "9999")
    tokens = {"store": store_token, "key": make_key(app), "manager": manager.token}
    with served(app) as base:
        yield base, tokens
    app.extensions["pos.db"].dispose()
    drop_postgres_database(name)


def test_hq_api_matches_its_document(served_hq):
    """HQ's whole document on PostgreSQL: each operation called with the credential it takes."""
    base, tokens = served_hq

    def headers_for(path: str) -> dict:
        if path.startswith("/api/v1/sync/push") or path.startswith("/api/v1/sync/changes"):
            return {"Authorization": f"Bearer {tokens['store']}"}
        if re.match(WEBSHOP_PATHS, path):
            return {"Authorization": f"Bearer {tokens['key']}"}
        return {"Authorization": f"Bearer {tokens['manager']}"}

    schema = (schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
              .include(path_regex=r"^/api/v1/").exclude(path_regex=SKIPPED))
    tested, failures = _check_operations(schema, base, headers_for, 3)
    assert tested >= 60
    assert not failures, "\n\n".join(failures)
