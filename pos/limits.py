"""Limits every request is held to before any view or database sees it.

One place, so no route can forget them: a body of bounded size and nesting, numbers a 64-bit column can
hold, finite floats, and strings PostgreSQL can store (no NUL, no lone surrogate).  What breaks a limit
is refused as a problem naming the field (``lines.0.quantity``, query ``after``), never a 5xx later."""
from __future__ import annotations

import json
import math
import re

from flask import Request

from pos.problems import ApiProblem

MAX_DEPTH = 32
INT64 = (-(2 ** 63), 2 ** 63 - 1)
_INTEGER = re.compile(r"[+-]?\d+")


def _string_problem(value: str) -> str | None:
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains an unpaired surrogate (not valid Unicode)"
    return None


def _printable(part) -> str:
    # A refusal names the field without carrying the NUL or surrogate it refuses.
    return str(part).encode("utf-8", "backslashreplace").decode().replace("\x00", "\\u0000")


def _joined(path: tuple) -> str:
    return ".".join(_printable(part) for part in path) or "body"


def _within_limits(document) -> bool:
    """The common case, fast: containers pushed with their depth, every scalar looked at once, no paths."""
    stack = [(document, 0)]
    pop, push = stack.pop, stack.append
    low, high = INT64
    while stack:
        value, depth = pop()
        kind = type(value)
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                return False
            for item in (value.values() if kind is dict else value):
                item_kind = type(item)
                if item_kind is str:
                    if "\x00" in item or (not item.isascii() and _string_problem(item)):
                        return False
                elif item_kind is int:
                    if not low <= item <= high:
                        return False
                elif item_kind is dict or item_kind is list:
                    push((item, depth + 1))
                elif item_kind is float and not math.isfinite(item):
                    return False
            if kind is dict and not all(key.isascii() and "\x00" not in key for key in value):
                return False
        elif kind is str:
            if _string_problem(value):
                return False
        elif kind is int:
            if not low <= value <= high:
                return False
        elif kind is float and not math.isfinite(value):
            return False
    return True


# Endpoints that judge the values inside each item themselves and refuse items one by one: a store's push
# (a NUL or a 2^70 in one change is quarantined with its reason while the rest of the batch goes in).
PER_ITEM_CHECKS = {"sync_hq.push": "changes"}


def first_violation(document, items: str | None = None) -> tuple[int, str, str] | None:
    """(status, field, reason) of the first value out of limits, walking without recursion.  Under ``items``
    (a list whose entries the endpoint checks one by one) only the nesting is held to the limits here."""
    if _within_limits(document):
        return None
    stack = [(document, (), 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict):
            if depth >= MAX_DEPTH:
                return 400, _joined(path), f"nested deeper than {MAX_DEPTH} levels"
            inside_item = items is not None and len(path) >= 2 and path[0] == items
            for key, item in value.items():
                reason = None if inside_item else _string_problem(key)
                if reason:
                    return 422, _joined(path + (key,)), f"the field name {reason}"
                stack.append((item, path + (key,), depth + 1))
        elif isinstance(value, list):
            if depth >= MAX_DEPTH:
                return 400, _joined(path), f"nested deeper than {MAX_DEPTH} levels"
            stack.extend((item, path + (index,), depth + 1) for index, item in enumerate(value))
        elif items is not None and len(path) >= 2 and path[0] == items:
            continue  # the endpoint refuses this item alone, naming the field
        elif isinstance(value, str):
            reason = _string_problem(value)
            if reason:
                return 422, _joined(path), reason
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not INT64[0] <= value <= INT64[1]:
                return 422, _joined(path), "a whole number beyond 64 bits"
        elif isinstance(value, float) and not math.isfinite(value):
            return 422, _joined(path), "not a finite number"
    return None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def refused(status: int, field: str, reason: str) -> ApiProblem:
    if status == 400:
        return ApiProblem(400, "malformed-json", f"{field}: {reason}", field=field, title="Malformed JSON")
    return ApiProblem(status, "invalid-field", f"{field}: {reason}", field=field, title="Invalid request")


def parse_body(text: str | bytes, items: str | None = None):
    """A request body parsed and held to the limits; anything else is an ApiProblem."""
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise refused(400, "body", f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, digits beyond Python's int limit
        raise refused(400, "body", f"not valid JSON ({exc})") from None
    violation = first_violation(document, items)
    if violation:
        raise refused(*violation)
    return document


class _StrictJson:
    """What request bodies are parsed with: either within the limits or an ApiProblem (never a ValueError,
    which ``get_json(silent=True)`` would quietly turn into None)."""

    loads = staticmethod(parse_body)
    dumps = staticmethod(json.dumps)


class _PerItemJson(_StrictJson):
    def __init__(self, items: str):
        self.loads = lambda text: parse_body(text, items)


class LimitedRequest(Request):
    @property
    def json_module(self):
        items = PER_ITEM_CHECKS.get(self.endpoint or "")
        return _PerItemJson(items) if items else _StrictJson

    @json_module.setter
    def json_module(self, _provider):
        pass  # Flask hands each request the app's JSON provider; request bodies keep to the limits instead


def check_parameters(args, view_args: dict | None, headers) -> None:
    """Query and path parameters and headers: strings PostgreSQL can store, integers a column can hold."""
    for where, items in (("query", args.items(multi=True)), ("path", (view_args or {}).items()),
                         ("header", headers.items())):
        for name, value in items:
            if not isinstance(value, str):
                continue
            reason = _string_problem(name) or _string_problem(value)
            name = _printable(name)
            if reason is None and where != "header" and _INTEGER.fullmatch(value.strip()):
                digits = value.strip().lstrip("+-")
                # compared as text first: Python refuses to read a number of more than 4300 digits
                if len(digits) > 19 or not INT64[0] <= int(value) <= INT64[1]:
                    reason = "a whole number beyond 64 bits"
            if reason:
                raise ApiProblem(422 if where != "header" else 400, "invalid-field", f"{name}: {reason}",
                                 field=name, title="Invalid request")
