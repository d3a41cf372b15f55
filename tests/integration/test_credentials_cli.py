"""API keys and store tokens: revoked or rotated from the CLI, refused from the very next request."""
from __future__ import annotations

import re

from tests.conftest import make_test_app


def _key(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_an_api_key_is_rotated_and_revoked_at_once(app, client):
    runner = app.test_cli_runner()
    added = runner.invoke(args=["clients", "add", "shop", "--scope", "availability:read"])
    assert added.exit_code == 0, added.output
    old = _key(added.output)
    ask = lambda key: client.get("/api/v1/availability?channel=webshop&sku=SKU-000001",  # noqa: E731
                                 headers={"Authorization": f"Bearer {key}"})
    assert ask(old).status_code == 200

    rotated = runner.invoke(args=["clients", "rotate", "shop"])
    assert rotated.exit_code == 0, rotated.output
    new = _key(rotated.output)
    assert new != old and new.startswith("pos_")
    assert ask(old).status_code == 401
    assert ask(new).status_code == 200

    listed = runner.invoke(args=["clients", "list"])
    assert "shop" in listed.output and "active" in listed.output and new not in listed.output

    revoked = runner.invoke(args=["clients", "revoke", "shop"])
    assert revoked.exit_code == 0, revoked.output
    assert ask(new).status_code == 401
    assert "revoked" in runner.invoke(args=["clients", "list"]).output
    # rotating a revoked client gives it a working key again
    again = _key(runner.invoke(args=["clients", "rotate", "shop"]).output)
    assert ask(again).status_code == 200
    unknown = runner.invoke(args=["clients", "revoke", "nobody"])
    assert unknown.exit_code != 0 and "no client named" in unknown.output


def test_a_store_token_is_rotated_with_the_old_ones_revoked(database_url, tmp_path):
    hq = make_test_app(database_url, tmp_path, POS_ROLE="hq", POS_STORE_CODE="HQ")
    runner, client = hq.test_cli_runner(), hq.test_client()
    added = runner.invoke(args=["stores", "add", "S7", "Sklep Siedem", "--country", "PL"])
    assert added.exit_code == 0, added.output
    first = re.search(r"POS_STORE_TOKEN=(\S+)", added.output).group(1)
    pull = lambda token: client.get("/api/v1/sync/changes",  # noqa: E731
                                    headers={"Authorization": f"Bearer {token}"})
    assert pull(first).status_code == 200, pull(first).get_json()
    rotated = runner.invoke(args=["stores", "token", "S7", "--revoke-others"])
    assert rotated.exit_code == 0, rotated.output
    second = re.search(r"POS_STORE_TOKEN=(\S+)", rotated.output).group(1)
    assert pull(first).status_code == 403
    assert pull(second).status_code == 200
    assert runner.invoke(args=["stores", "revoke", "S7"]).exit_code == 0
    assert pull(second).status_code == 403
    hq.extensions["pos.db"].dispose()
