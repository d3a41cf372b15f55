"""Request/response validation against an OpenAPI 3.0 document (openapi-core)."""

from __future__ import annotations

import copy
import functools
import json
import warnings
from dataclasses import dataclass
from typing import Any

from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core import Config
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from marketplaces.fakes.base import SpecViolation


def _describe(errors: list[Exception]) -> str:
    parts = []
    for error in errors:
        text = str(error)
        inner = getattr(error, "schema_errors", None) or []
        cause = error.__cause__
        inner = inner or getattr(cause, "schema_errors", None) or []
        if inner:
            text += " [" + "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in inner) + "]"
        elif cause is not None and str(cause) not in text:
            text += f" ({cause})"
        parts.append(text)
    return "; ".join(parts)


@dataclass(frozen=True)
class ValidatedRequest:
    query: MultiDict  # request.args: getlist() for array parameters
    body: Any


class OpenAPI3Validator:
    """Validates against one OpenAPI 3 document mounted under ``base_path`` on the fake."""

    def __init__(self, spec: dict[str, Any], base_path: str = "/", json_media_types: tuple[str, ...] = ()):
        spec = copy.deepcopy(spec)
        # The fake serves the API at its own origin, not the production host.
        spec["servers"] = [{"url": base_path}]
        deserializers = {media: json.loads for media in json_media_types}
        self._api = OpenAPI.from_dict(
            spec,
            config=Config(spec_validator_cls=None, extra_media_type_deserializers=deserializers),
        )

    def validate_request(self, request: Request) -> "ValidatedRequest":
        """Raises SpecViolation; validation only (unmarshalling big bodies is far slower)."""
        with warnings.catch_warnings():
            # openapi-core cannot check OAuth2 schemes; the fake checks tokens itself.
            warnings.simplefilter("ignore", UserWarning)
            try:
                self._api.validate_request(WerkzeugOpenAPIRequest(request))
            except OpenAPIError as exc:
                raise SpecViolation(_describe([exc])) from None
        body = None
        if request.data:
            try:
                body = json.loads(request.data)
            except ValueError as exc:
                raise SpecViolation(f"body is not JSON ({exc})") from None
        return ValidatedRequest(request.args, body)

    def validate_response(self, request: Request, response: Response) -> list[str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                self._api.validate_response(
                    WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response)
                )
            except OpenAPIError as exc:
                return [_describe([exc])]
        return []


@functools.lru_cache(maxsize=None)
def validator_for(spec_name: str, base_path: str = "/", json_media_types: tuple[str, ...] = ()) -> OpenAPI3Validator:
    """One validator per spec and mount point: building one copies a large document."""
    from marketplaces.specs import load_spec

    return OpenAPI3Validator(load_spec(spec_name), base_path, json_media_types)
