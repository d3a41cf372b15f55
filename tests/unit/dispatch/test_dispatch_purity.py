"""The planner, feed and chart stay plain Python: no web framework, no ORM, no other area."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

DISPATCH = Path(__file__).resolve().parents[3] / "pos" / "dispatch"
PURE = ["deliveries", "couriers", "horizon", "options", "placement", "greedy", "balance_model",
        "routing", "metrics", "results", "planner", "calendar", "chart"]


@pytest.mark.parametrize("module", PURE)
def test_pure_modules_import_no_framework(module):
    tree = ast.parse((DISPATCH / f"{module}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    offending = {
        name for name in imported
        if name.split(".")[0] in {"flask", "sqlalchemy", "flask_openapi3", "sync"}
        or (name.startswith("pos") and not name.startswith("pos.dispatch."))
        or name.split(".")[-1] in {"models", "api", "services", "views"}
    }
    assert offending == set(), f"{module} imports {offending}"
