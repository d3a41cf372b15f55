"""Schemathesis against the served OpenAPI document: no 5xx and every answer as documented (web-shop API)."""
from __future__ import annotations

import pytest

from tests.integration.stock.served import contract_failures, served_seeded_node

WEBSHOP_PATHS = r"^/api/v1/(availability|reservations|orders|webhooks)"


@pytest.fixture(scope="module")
def served_node(sqlite_template, tmp_path_factory, pin_hashes):
    with served_seeded_node(sqlite_template, tmp_path_factory.mktemp("contract"), pin_hashes) as node:
        yield node


def test_webshop_api_matches_its_document(served_node):
    """Every web-shop operation, generated inputs (valid and not): no 5xx, answers match the document."""
    tested, failures = contract_failures(*served_node, WEBSHOP_PATHS, max_examples=8)
    assert tested >= 10
    assert not failures, "\n\n".join(failures)
