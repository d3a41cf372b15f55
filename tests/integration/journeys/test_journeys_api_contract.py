"""Schemathesis against the served OpenAPI document for the journeys' API: no 5xx, answers as documented."""
from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import make_test_app, seed_store
from tests.integration.stock.conftest import make_key
from tests.integration.stock.served import served


@pytest.fixture(scope="module")
def served_node(sqlite_template, tmp_path_factory, pin_hashes):
    tmp = tmp_path_factory.mktemp("journeys-contract")
    shutil.copyfile(sqlite_template, tmp / "pos.sqlite3")
    app = make_test_app(f"sqlite:///{tmp / 'pos.sqlite3'}", tmp)
    seed_store(app, pin_hashes, product_count=5)
    key = make_key(app)
    with served(app) as base:
        yield base, key
    app.extensions["pos.db"].dispose()


def test_journeys_api_matches_its_document(served_node):
    base, key = served_node
    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json").include(
        path_regex=r"^/api/v1/(carts|journeys|call-centre)")
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case):
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {key}"},
                                   excluded_checks=[positive_data_acceptance])
        try:
            check()
        except Exception as exc:  # every operation's failure, reported together
            failures.append(f"{operation.label}: {exc}")
    assert tested == 6
    assert not failures, "\n\n".join(failures)
