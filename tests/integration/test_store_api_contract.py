"""Schemathesis against the served OpenAPI document for the store's API (the web-shop API has its own
contract test in tests/integration/stock): no 5xx for any generated input, every answer as documented."""
from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import login, make_test_app, seed_store
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


def test_store_api_matches_its_document(served_store):
    base, token = served_store
    schema = (schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json")
              .include(path_regex=r"^/api/v1/").exclude(path_regex=WEBSHOP_PATHS).exclude(path_regex=SKIPPED))
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case):
            # Schema-valid is not business-valid (an unknown basket is a 404), so that one check is left out.
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"},
                                   excluded_checks=[positive_data_acceptance])
        try:
            check()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert tested >= 25
    assert not failures, "\n\n".join(failures)
