"""Where the published channel specifications live, and loading them once.

They are data outside the project (``../shared/specs`` beside the repo, or
``$MARKETPLACE_SPECS_DIR``); only the fake servers and tests need them.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
from pathlib import Path
from typing import Any

import yaml

SPEC_FILES = {
    "allegro": "allegro/allegro_rest_api.yaml",
    "amazon_listings": "amazon/listingsItems_2021-08-01.json",
    "amazon_feeds": "amazon/feeds_2021-06-30.json",
    "amazon_orders": "amazon/ordersV0.json",
    "amazon_listings_feed": "amazon/listings-feed-schema-v2.json",
    "amazon_listings_feed_message": "amazon/listings-feed-message-schema-v2.json",
    "amazon_listings_feed_report": "amazon/listings-feed-processing-report-schema-v2.json",
    "ebay_inventory": "ebay/sell_inventory_v1_oas3.json",
    "ebay_fulfillment": "ebay/sell_fulfillment_v1_oas3.json",
    "shopify": "shopify/admin_schema_2025-01.json.gz",
}


class SpecsMissing(RuntimeError):
    pass


def specs_dir() -> Path:
    override = os.environ.get("MARKETPLACE_SPECS_DIR")
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[1]
    return repo_root.parent / "shared" / "specs"


def spec_path(name: str) -> Path:
    path = specs_dir() / SPEC_FILES[name]
    if not path.is_file():
        raise SpecsMissing(
            f"published spec {SPEC_FILES[name]} not found under {specs_dir()} "
            "(set MARKETPLACE_SPECS_DIR or check out ../shared beside the repo)"
        )
    return path


def specs_available() -> bool:
    return all((specs_dir() / rel).is_file() for rel in SPEC_FILES.values())


@functools.lru_cache(maxsize=None)
def load_spec(name: str) -> Any:
    """The parsed spec; callers must not mutate it (deep-copy first)."""
    path = spec_path(name)
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return json.load(fh)
    if path.suffix in (".yaml", ".yml"):
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)
