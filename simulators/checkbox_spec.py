"""The published Checkbox OpenAPI document, loaded from the shared specs and fixed in memory so that it
passes strict validation (the file itself is never changed or copied).

Two quirks of the FastAPI-generated document, both fixed here:

* ``required`` lists that name a property twice (``ReceiptModel``, ``ShortReceiptModel``: ``total_sum``,
  ``total_rest``) — JSON Schema demands unique items: each name is kept once;
* ``exclusiveMinimum``/``exclusiveMaximum`` given as booleans with no ``minimum``/``maximum`` beside them
  (OpenAPI 3.0 only defines them as modifiers of a bound) — the modifier without a bound means nothing
  and is dropped.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

SPEC_RELATIVE = Path("specs/fiscal/checkbox/checkbox_openapi.json")


def default_spec_path() -> Path:
    """``$CHECKBOX_SPEC``, else ``<repo>/../shared/specs/fiscal/checkbox/checkbox_openapi.json``."""
    if os.environ.get("CHECKBOX_SPEC"):
        return Path(os.environ["CHECKBOX_SPEC"])
    return Path(__file__).resolve().parents[1].parent / "shared" / SPEC_RELATIVE


def fix_quirks(node):
    if isinstance(node, list):
        return [fix_quirks(item) for item in node]
    if not isinstance(node, dict):
        return node
    fixed = {key: fix_quirks(value) for key, value in node.items()}
    required = fixed.get("required")
    if isinstance(required, list) and all(isinstance(name, str) for name in required):
        fixed["required"] = list(dict.fromkeys(required))
    for modifier, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(fixed.get(modifier), bool) and bound not in fixed:
            del fixed[modifier]
    return fixed


def load_spec(path: str | os.PathLike | None = None) -> dict:
    return fix_quirks(json.loads(Path(path or default_spec_path()).read_text("utf-8")))


@lru_cache(maxsize=4)
def openapi(path: str | None = None):
    """A strict openapi-core validator of the fixed document (the document-level check runs too)."""
    from openapi_core import OpenAPI

    document = load_spec(path)
    document["servers"] = [{"url": "/"}]  # the emulator serves the API at its own origin
    return OpenAPI.from_dict(document)
