"""Fake channel servers on 127.0.0.1 and clients pointed at them.

Every fake fixture fails its test at teardown if the fake refused a request
(not valid under the published spec) or sent an answer the spec does not
allow; tests that provoke a refusal on purpose assert it and clear the list.
"""

from __future__ import annotations

import pytest

from marketplaces import get_client
from marketplaces.http import RetryPolicy
from marketplaces.specs import specs_available, specs_dir

# Short timeouts and back-off keep the whole suite fast; Retry-After from the
# fakes is 0-1 s in the tests.
CLIENT_TIMEOUT = 0.5
FAST_RETRY = RetryPolicy(max_attempts=4, max_total_seconds=10, backoff_initial=0.01, backoff_max=0.05)


@pytest.fixture(autouse=True)
def _published_specs() -> None:
    if not specs_available():
        pytest.skip(
            f"published channel specs not found under {specs_dir()}: check out ../shared beside "
            "the repo or set MARKETPLACE_SPECS_DIR"
        )


def assert_spec_clean(fake) -> None:
    problems = [f"rejected: {r}" for r in fake.rejected] + [f"bad answer: {p}" for p in fake.invalid_responses]
    assert not problems, "\n".join(problems)


@pytest.fixture
def strict_fake():
    """Start a fake and fail the test if any request or answer broke the spec."""
    started = []

    def start(fake):
        fake.start()
        started.append(fake)
        return fake

    yield start
    try:
        for fake in started:
            assert_spec_clean(fake)
    finally:
        for fake in started:
            fake.stop()


def allegro_client(fake, timeout: float = CLIENT_TIMEOUT):
    saved_refresh_tokens: list[str] = []
    client = get_client(
        "allegro", fake.base_url,
        {"client_id": "allegro-client", "client_secret": "allegro-secret", "refresh_token": "allegro-refresh-0"},
        on_refresh_token=saved_refresh_tokens.append, timeout=timeout, retry=FAST_RETRY,
        poll_interval=0.01, poll_timeout=5,
    )
    client.saved_refresh_tokens = saved_refresh_tokens
    return client


@pytest.fixture
def patient_allegro_client():
    """A client that waits as long as the fake needs, for tests about big batches rather than timeouts."""
    clients = []

    def make(fake):
        clients.append(allegro_client(fake, timeout=30))
        return clients[-1]

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def allegro(strict_fake):
    from marketplaces.fakes.allegro import FakeAllegro

    fake = strict_fake(FakeAllegro())
    client = allegro_client(fake)
    yield fake, client
    client.close()


@pytest.fixture
def ebay(strict_fake):
    from marketplaces.fakes.ebay import FakeEbay

    fake = strict_fake(FakeEbay())
    client = get_client(
        "ebay", fake.base_url,
        {"client_id": "ebay-client", "client_secret": "ebay-secret", "refresh_token": "ebay-refresh"},
        timeout=CLIENT_TIMEOUT, retry=FAST_RETRY,
    )
    yield fake, client
    client.close()


@pytest.fixture
def amazon(strict_fake):
    from marketplaces.fakes.amazon import FakeAmazon

    fake = strict_fake(FakeAmazon(orders_page_size=2))
    client = get_client(
        "amazon", fake.base_url,
        {"client_id": "amzn1.application-oa2-client.fake", "client_secret": "amazon-secret",
         "refresh_token": "Atzr|amazon-refresh"},
        seller_id="A1SELLER", marketplace_id="A1C3SOZRARQ6R3",
        timeout=CLIENT_TIMEOUT, retry=FAST_RETRY, poll_interval=0.01, poll_timeout=5,
    )
    yield fake, client
    client.close()


SHOPIFY_LOCATION = "gid://shopify/Location/1"


def shopify_item(n: int) -> str:
    return f"gid://shopify/InventoryItem/{n}"


@pytest.fixture
def shopify(strict_fake):
    from marketplaces.fakes.shopify import FakeShopify

    fake = strict_fake(FakeShopify(location_id=SHOPIFY_LOCATION))
    client = get_client(
        "shopify", fake.base_url, {"access_token": "shpat_fake"},
        location_id=SHOPIFY_LOCATION, timeout=CLIENT_TIMEOUT, retry=FAST_RETRY,
    )
    yield fake, client
    client.close()
