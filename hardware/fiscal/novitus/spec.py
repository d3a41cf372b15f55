"""The published NoviAPI OpenAPI document, loaded from the shared specs and
patched in memory so it can be used for strict request/response validation.

Patches (the file itself is never changed or copied):

* every path parameter gets ``required: true`` (OpenAPI 3 demands it; the
  file leaves it out for ``id``);
* ``description: null`` entries are dropped (a description must be a string).

The document also carries keywords OpenAPI 3.0 schema objects do not define
(``definitions``, ``if``/``then``, ``additionalItems``, a stray
``exception_obj``); they do not change what a request or response may contain,
so the document-level check is skipped and requests and responses are
validated against the schemas as written.
"""
from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

SPEC_RELATIVE = Path("specs/fiscal/novitus/noviapi_dist.json")


def default_spec_path() -> Path:
    """``$NOVIAPI_SPEC``, else ``<repo>/../shared/specs/fiscal/novitus/noviapi_dist.json``."""
    if os.environ.get("NOVIAPI_SPEC"):
        return Path(os.environ["NOVIAPI_SPEC"])
    return Path(__file__).resolve().parents[3].parent / "shared" / SPEC_RELATIVE


def load_spec(path: str | os.PathLike | None = None) -> dict:
    document = json.loads(Path(path or default_spec_path()).read_text("utf-8"))
    for item in document.get("paths", {}).values():
        for operation in [item] + [op for op in item.values() if isinstance(op, dict)]:
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if isinstance(parameter, dict) and parameter.get("in") == "path":
                    parameter["required"] = True
    return _drop_null_descriptions(document)


def _drop_null_descriptions(node):
    if isinstance(node, dict):
        return {k: _drop_null_descriptions(v) for k, v in node.items() if not (k == "description" and v is None)}
    if isinstance(node, list):
        return [_drop_null_descriptions(v) for v in node]
    return node


@lru_cache(maxsize=4)
def openapi(path: str | None = None):
    from openapi_core import Config, OpenAPI

    return OpenAPI.from_dict(load_spec(path), config=Config(spec_validator_cls=None))
