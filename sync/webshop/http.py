"""One request of the sync API: key and scope, one transaction, and Idempotency-Key on every POST.

The first answer (2xx) to a key is stored with a fingerprint of method, path and body; the same
key and body replay that answer, the same key with another body is refused (422).  Refusals are
not stored, so a retry after stock arrives can succeed."""
from __future__ import annotations

import hashlib
import json
from typing import Callable

from flask import Response, current_app, request

from pos.http import UNIQUE_VIOLATIONS
from pos.problems import ApiProblem
from sync.webshop.keys import authenticate
from sync.webshop.models import IdempotentRequest


def fingerprint() -> str:
    body = request.get_json(silent=True)
    canonical = json.dumps([request.method, request.path, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _respond(body, status: int) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json")


def _replayed(session, client_id, key: str, print_: str) -> Response | None:
    earlier = session.get(IdempotentRequest, (client_id, key))
    if earlier is None:
        return None
    if earlier.fingerprint != print_:
        raise ApiProblem(422, "idempotency-key-reused",
                         "Idempotency-Key: this key was used for a different request", field="Idempotency-Key")
    response = _respond(earlier.body, earlier.status)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def client_run(scope: str, work: Callable, *, status: int = 200, read_only: bool = False,
               idempotency_key: str | None = None) -> Response:
    """Do ``work(session, api_client)`` in one transaction and answer with its JSON."""
    db = current_app.extensions["pos.db"]
    posting = request.method == "POST"
    if posting and not idempotency_key:
        raise ApiProblem(400, "idempotency-key-missing", "Idempotency-Key: every POST needs one (e.g. a UUID)",
                         field="Idempotency-Key")
    print_ = fingerprint() if posting else ""
    try:
        with db.unit_of_work(read_only=read_only) as uow:
            client = authenticate(uow.session, request.headers.get("Authorization"), scope)
            if posting:
                replay = _replayed(uow.session, client.id, idempotency_key, print_)
                if replay is not None:
                    return replay
            result = work(uow.session, client)
            if isinstance(result, tuple):
                result, status = result
            if posting:
                uow.session.add(IdempotentRequest(client_id=client.id, key=idempotency_key, fingerprint=print_,
                                                  status=status, body=result))
            if not read_only:
                uow.commit()
    except UNIQUE_VIOLATIONS:
        replay = None
        if posting:
            # The same key raced in from another connection and won: answer as it did.
            with db.unit_of_work(read_only=True) as uow:
                client = authenticate(uow.session, request.headers.get("Authorization"), scope)
                replay = _replayed(uow.session, client.id, idempotency_key, print_)
        if replay is None:
            raise ApiProblem(409, "concurrent-change", "A concurrent request changed the same thing; retry.") from None
        return replay
    return _respond(result, status)
