"""OpenAPI entries for problem-details answers, so documented refusals match what is sent."""
from __future__ import annotations

from pos.problems import Problem

REASONS = {400: "Malformed request", 401: "No or unknown credentials", 403: "Missing scope", 404: "Not found",
           409: "Conflict with the current state", 422: "Invalid request"}


def problem_responses(*statuses: int) -> dict:
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schema.pop("$defs", None)
    schema["properties"]["invalid_params"] = {"type": "array", "items": {
        "type": "object", "properties": {"name": {"type": "string"}, "reason": {"type": "string"}}}}
    return {status: {"description": REASONS.get(status, "Problem"),
                     "content": {"application/problem+json": {"schema": schema}}} for status in statuses}
