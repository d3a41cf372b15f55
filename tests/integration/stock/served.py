"""The app served over real HTTP on 127.0.0.1 (threaded), for tests where many clients race."""
from __future__ import annotations

import threading
from contextlib import contextmanager

from werkzeug.serving import make_server


@contextmanager
def served(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


@contextmanager
def served_seeded_node(sqlite_template, tmp, pin_hashes):
    """A standalone node copied from the migrated template, seeded with five products, served over HTTP:
    yields its base URL and an API key with every scope."""
    import shutil

    from tests.conftest import make_test_app, seed_store
    from tests.integration.stock.conftest import make_key

    shutil.copyfile(sqlite_template, tmp / "pos.sqlite3")
    app = make_test_app(f"sqlite:///{tmp / 'pos.sqlite3'}", tmp)
    seed_store(app, pin_hashes, product_count=5)
    key = make_key(app)
    try:
        with served(app) as base:
            yield base, key
    finally:
        app.extensions["pos.db"].dispose()


def contract_failures(base: str, key: str, path_regex: str, max_examples: int) -> tuple[int, list[str]]:
    """Schemathesis over every operation of the served OpenAPI document under ``path_regex``: generated
    inputs, valid and not, must never get a 5xx or an answer the document does not describe.  Returns how
    many operations ran and each one's failure, so a test reports them all together."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    schema = schemathesis.openapi.from_url(f"{base}/api/v1/openapi.json").include(path_regex=path_regex)
    failures, tested = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def check(case):
            # Schema-valid is not business-valid (an unknown SKU is a 422), so that one check is left out.
            case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {key}"},
                                   excluded_checks=[positive_data_acceptance])
        try:
            check()
        except Exception as exc:  # every operation's failure, reported together
            failures.append(f"{operation.label}: {exc}")
    return tested, failures
