"""RFC 9457 problem details: every refusal names the field and the reason."""
from __future__ import annotations

from flask import Response, json
from pydantic import BaseModel, ConfigDict

PROBLEM_TYPE_BASE = "https://pos.example/problems/"


class InvalidParam(BaseModel):
    name: str
    reason: str


class Problem(BaseModel):
    """application/problem+json"""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str
    invalid_params: list[InvalidParam] = []


class ApiProblem(Exception):
    """Raised by services and views; rendered as problem details, nothing written."""

    def __init__(self, status: int, slug: str, detail: str, *, field: str | None = None,
                 title: str | None = None, **extra):
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.title = title or slug.replace("-", " ").capitalize()
        self.invalid_params = [{"name": field, "reason": detail}] if field else []
        self.extra = extra

    def to_dict(self) -> dict:
        body = {
            "type": PROBLEM_TYPE_BASE + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "invalid_params": self.invalid_params,
        }
        body.update(self.extra)
        return body


def problem_response(problem: ApiProblem) -> Response:
    response = Response(json.dumps(problem.to_dict()), status=problem.status, mimetype="application/problem+json")
    if problem.extra.get("retry_after") is not None:  # a lockout or a busy resource says when to come back
        response.headers["Retry-After"] = str(int(problem.extra["retry_after"]))
    return response


def invalid(field: str, reason: str, status: int = 422) -> ApiProblem:
    return ApiProblem(status, "invalid-field", f"{field}: {reason}", field=field, title="Invalid request")


def validation_problem(error) -> Response:
    """pydantic ValidationError from flask-openapi3 → problem details."""
    from flask import request

    params = []
    # flask-openapi3 reads bodies with get_json(silent=True): a body that is not JSON arrives as None.
    malformed = bool(request.get_data()) and request.get_json(silent=True) is None
    for item in error.errors(include_url=False):
        if item.get("type") == "json_invalid":
            malformed = True
        location = ".".join(str(part) for part in item.get("loc", ())) or "body"
        reason = item.get("msg", "invalid")
        if item.get("type") == "extra_forbidden":
            reason = "unknown field"
        elif item.get("type") == "value_error" and item.get("ctx", {}).get("error"):
            reason = str(item["ctx"]["error"])  # our own validators' words, without pydantic's prefix
        params.append({"name": location, "reason": reason})
    if malformed:
        problem = ApiProblem(400, "malformed-json", "The request body is not valid JSON.", title="Malformed JSON")
        problem.invalid_params = [{"name": "body", "reason": params[0]["reason"] if params else "not JSON"}]
    else:
        detail = "; ".join(f"{p['name']}: {p['reason']}" for p in params)
        problem = ApiProblem(422, "invalid-field", detail, title="Invalid request")
        problem.invalid_params = params
    return problem_response(problem)
