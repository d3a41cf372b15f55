"""The served OpenAPI document, completed with what every operation can answer.

flask-openapi3 documents each operation's success and its own 422 as application/json;
the app answers every refusal as application/problem+json (RFC 9457).  Saying so for every
operation keeps the document honest, which Schemathesis checks."""
from __future__ import annotations

import copy

PROBLEM_STATUSES = {400: "Malformed request", 401: "Not logged in, or unknown credentials",
                    403: "Not allowed (scope, role or manager approval)", 404: "Not found",
                    409: "Conflicts with the current state", 422: "Invalid request",
                    423: "Login locked after too many wrong PINs (see Retry-After)"}
# Only an operation that takes a body can be refused for its size or its media type.
BODY_PROBLEM_STATUSES = {413: "Body larger than POS_MAX_BODY_BYTES", 415: "Body not sent as application/json"}
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"},
        "invalid_params": {"type": "array", "items": {"type": "object", "properties": {
            "name": {"type": "string"}, "reason": {"type": "string"}}}},
    },
}
METHODS = ("get", "post", "put", "patch", "delete")


def complete_document(document: dict) -> dict:
    document = copy.deepcopy(document)
    for path, operations in document.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            if not any(str(status).startswith("2") for status in responses):
                # an operation whose success body is not modelled (a PNG, a calendar, an event stream…)
                responses["2XX"] = {"description": "Success"}
            statuses = {**PROBLEM_STATUSES, **(BODY_PROBLEM_STATUSES if "requestBody" in operation else {})}
            for status, description in statuses.items():
                existing = responses.get(str(status), {})
                if "application/problem+json" in existing.get("content", {}):
                    continue
                responses[str(status)] = {
                    "description": description,
                    "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    return document
