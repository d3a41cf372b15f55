"""Request/response validation against a Swagger 2.0 document (Amazon SP-API) with jsonschema.

openapi-core reads OpenAPI 3 only, so each Swagger 2.0 parameter is turned into
a JSON Schema and body schemas are checked with the document's definitions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from werkzeug.wrappers import Request

from marketplaces.fakes.base import SpecViolation

_SCHEMA_KEYS = (
    "type", "items", "enum", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum",
    "maxItems", "minItems", "maxLength", "minLength", "pattern", "format", "uniqueItems",
)


@dataclass
class ValidatedRequest:
    operation_id: str
    path_params: dict[str, Any]
    query: dict[str, Any]
    body: Any


@dataclass
class _Operation:
    operation_id: str
    method: str
    template: str
    regex: re.Pattern[str]
    literal_segments: int
    parameters: list[dict[str, Any]]
    responses: dict[str, Any]


def _param_schema(param: dict[str, Any]) -> dict[str, Any]:
    return {k: param[k] for k in _SCHEMA_KEYS if k in param}


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value  # left as a string so the schema reports the type error
    if kind == "boolean":
        return {"true": True, "false": False}.get(value, value)
    return value


class Swagger2Validator:
    def __init__(self, spec: dict[str, Any]):
        self._definitions = spec.get("definitions", {})
        self._format_checker = FormatChecker()
        self._operations: list[_Operation] = []
        base = (spec.get("basePath") or "").rstrip("/")
        for template, item in spec["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                own = {(p["name"], p["in"]) for p in op.get("parameters", [])}
                params = [p for p in shared if (p["name"], p["in"]) not in own] + op.get("parameters", [])
                full = base + template
                pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(full)) + "$"
                names = re.findall(r"\{([^}]+)\}", full)
                self._operations.append(
                    _Operation(
                        op["operationId"], method.upper(), full, re.compile(pattern),
                        len([s for s in full.split("/") if s and "{" not in s]),
                        params, op.get("responses", {}),
                    )
                )
                self._operations[-1].path_names = names  # type: ignore[attr-defined]
        # Literal paths win over templated ones (/feeds/{id} vs /feeds/documents).
        self._operations.sort(key=lambda o: -o.literal_segments)

    def match(self, method: str, path: str) -> tuple[_Operation, dict[str, str]] | None:
        path_matched = False
        for op in self._operations:
            m = op.regex.match(path)
            if not m:
                continue
            path_matched = True
            if op.method == method:
                return op, dict(zip(op.path_names, m.groups()))  # type: ignore[attr-defined]
        if path_matched:
            raise SpecViolation(f"method {method} not allowed on {path}")
        return None

    def _validate(self, value: Any, schema: dict[str, Any], where: str) -> None:
        schema = {**schema, "definitions": self._definitions}
        errors = sorted(
            Draft4Validator(schema, format_checker=self._format_checker).iter_errors(value),
            key=lambda e: list(e.absolute_path),
        )
        if errors:
            raise SpecViolation(
                "; ".join(f"{where}{'/' + '/'.join(map(str, e.absolute_path)) if e.absolute_path else ''}: {e.message}" for e in errors[:5])
            )

    def validate_request(self, request: Request) -> ValidatedRequest | None:
        """None when no operation of this document has the path; SpecViolation when invalid."""
        found = self.match(request.method, request.path)
        if found is None:
            return None
        op, raw_path = found
        query: dict[str, Any] = {}
        path_params: dict[str, Any] = {}
        body: Any = None
        known_query = {p["name"] for p in op.parameters if p["in"] == "query"}
        unknown = sorted(set(request.args) - known_query)
        if unknown:
            raise SpecViolation(f"{op.operation_id}: unknown query parameter(s) {', '.join(unknown)}")
        for param in op.parameters:
            name, where = param["name"], param["in"]
            if where == "body":
                if not request.data:
                    if param.get("required"):
                        raise SpecViolation(f"{op.operation_id}: request body required")
                    continue
                if request.mimetype != "application/json":
                    raise SpecViolation(f"{op.operation_id}: Content-Type must be application/json")
                try:
                    body = json.loads(request.data)
                except ValueError as exc:
                    raise SpecViolation(f"{op.operation_id}: body is not JSON ({exc})") from None
                self._validate(body, param["schema"], "body")
                continue
            schema = _param_schema(param)
            if where == "path":
                raw: list[str] | None = [raw_path[name]]
            elif where == "query":
                raw = request.args.getlist(name) or None
            elif where == "header":
                raw = [request.headers[name]] if name in request.headers else None
            else:
                continue
            if raw is None:
                if param.get("required"):
                    raise SpecViolation(f"{op.operation_id}: {where} parameter {name} is required")
                continue
            if schema.get("type") == "array":
                fmt = param.get("collectionFormat", "csv")
                if fmt == "multi":
                    items = raw
                else:
                    sep = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}[fmt]
                    items = [piece for chunk in raw for piece in chunk.split(sep)]
                value: Any = [_coerce(v, schema.get("items", {})) for v in items]
            else:
                if len(raw) > 1:
                    raise SpecViolation(f"{op.operation_id}: {name} given more than once")
                value = _coerce(raw[0], schema)
            self._validate(value, schema, f"{where} parameter {name}")
            (path_params if where == "path" else query)[name] = value
        return ValidatedRequest(op.operation_id, path_params, query, body)

    def validate_response(self, operation_id: str, status: int, body: Any) -> list[str]:
        op = next(o for o in self._operations if o.operation_id == operation_id)
        spec = op.responses.get(str(status)) or op.responses.get("default")
        if spec is None:
            return [f"{operation_id}: status {status} is not a documented response"]
        if "schema" not in spec:
            return []
        try:
            self._validate(body, spec["schema"], f"{operation_id} response {status}")
        except SpecViolation as exc:
            return [str(exc)]
        return []
