"""pyproject.toml and requirements.lock agree, and a node's runtime carries none of the test tools.

(CI's `make lock-check` re-resolves against the index; this reads the two files only.)"""
from __future__ import annotations

import re
import tomllib
from collections import defaultdict, deque
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"pytest", "pytest-xdist", "playwright", "schemathesis", "hypothesis", "zxing-cpp"}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _lock() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Pinned versions, and for each package the packages that need it (uv's ``# via`` notes)."""
    pins, needed_by, current = {}, defaultdict(set), None
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line):
            current = canonicalize_name(match[1])
            pins[current] = match[2]
        elif current and (match := re.match(r"^\s+#\s+(?:via\s+)?([A-Za-z0-9_.\-]+)(?: \(pyproject\.toml\))?$", line)):
            needed_by[current].add(canonicalize_name(match[1]))
    return pins, needed_by


def _requirements(*extras: str) -> list[Requirement]:
    project = _project()
    listed = project["dependencies"] + [r for extra in extras for r in project["optional-dependencies"][extra]]
    return [Requirement(text) for text in listed]


def test_every_direct_dependency_is_pinned_in_the_lock_within_its_range():
    pins, _ = _lock()
    project = _project()
    for requirement in _requirements(*project["optional-dependencies"]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {requirement}: run `make lock`")


def test_a_nodes_runtime_carries_no_test_tools():
    pins, needed_by = _lock()
    needs = defaultdict(set)
    for package, parents in needed_by.items():
        for parent in parents:
            needs[parent].add(package)
    runtime = {canonicalize_name(r.name) for r in _requirements("store", "hq", "dispatch", "usb")}
    queue = deque(runtime)
    while queue:
        for package in needs[queue.popleft()] - runtime:
            runtime.add(package)
            queue.append(package)
    assert runtime <= set(pins)
    assert runtime & TEST_TOOLS == set()
    assert TEST_TOOLS <= {canonicalize_name(r.name) for r in _requirements("test")}


# The same module from a smaller distribution than the one a shared development venv may hold.
VARIANTS = {"phonenumbers": {"phonenumberslite", "phonenumbers"}}
OURS = {"pos", "sync", "hardware", "marketplaces", "simulators", "tests", "bench", "migrations", "__future__"}


def _imported(*folders: str) -> dict[str, str]:
    """Top-level names of the libraries imported under ``folders`` → one file that imports it."""
    import ast
    import sys

    found = {}
    for folder in folders:
        path = ROOT / folder
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(source.read_text())):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in OURS and top not in sys.stdlib_module_names:
                        found.setdefault(top, str(source.relative_to(ROOT)))
    return found


def _undeclared(imported: dict[str, str], extras) -> list[str]:
    from importlib.metadata import packages_distributions

    declared = {canonicalize_name(r.name) for r in _requirements(*extras)}
    providers = packages_distributions()
    missing = []
    for module, where in sorted(imported.items()):
        candidates = {canonicalize_name(d) for d in providers.get(module, [])} | VARIANTS.get(module, set())
        if not candidates & declared:
            missing.append(f"{module} (imported by {where}; installed from {sorted(candidates) or 'nothing'})")
    return missing


def test_every_library_the_node_imports_is_a_declared_dependency_of_a_runtime_extra():
    runtime_extras = [e for e in _project()["optional-dependencies"] if e not in ("test", "dev")]
    imported = _imported("pos", "sync", "hardware", "marketplaces", "simulators", "migrations", "wsgi.py",
                         "gunicorn.conf.py")
    assert _undeclared(imported, runtime_extras) == []


def test_every_library_the_tests_and_benchmarks_import_is_declared():
    assert _undeclared(_imported("tests", "bench"), list(_project()["optional-dependencies"])) == []


def test_the_makefile_bootstraps_the_uv_the_lock_pins():
    pinned = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)[1]
    assert _lock()[0]["uv"] == pinned
