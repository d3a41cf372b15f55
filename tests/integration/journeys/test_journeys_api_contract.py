"""Schemathesis against the served OpenAPI document for the journeys' API: no 5xx, answers as documented."""
from __future__ import annotations

import pytest

from tests.integration.stock.served import contract_failures, served_seeded_node


@pytest.fixture(scope="module")
def served_node(sqlite_template, tmp_path_factory, pin_hashes):
    with served_seeded_node(sqlite_template, tmp_path_factory.mktemp("journeys-contract"), pin_hashes) as node:
        yield node


def test_journeys_api_matches_its_document(served_node):
    tested, failures = contract_failures(*served_node, r"^/api/v1/(carts|journeys|call-centre)", max_examples=10)
    assert tested == 6
    assert not failures, "\n\n".join(failures)
