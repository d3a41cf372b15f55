"""Shopify's GraphQL query cost and its leaky bucket, as the Admin API documents them.

Requested cost, worked out before a query runs: scalars and enums 0, an object 1, a connection
2 + first (or last) × the cost of one of its items, a mutation 10. The actual cost is the same sum
over what the answer really holds (a connection of 3 orders costs for 3, not for ``first``); the
bucket is charged that, never more than requested. A query whose requested cost is over 1000 is
refused outright (MAX_COST_EXCEEDED); one that needs more points than the bucket holds now is
THROTTLED, and the points come back at ``restore_rate`` a second.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_named_type,
    is_leaf_type,
)
from graphql.language import DocumentNode

SINGLE_QUERY_MAX_COST = 1000
MUTATION_COST = 10


class QueryCost:
    def __init__(self, schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode,
                 variables: dict[str, Any]):
        self.schema, self.operation, self.variables = schema, operation, variables
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}

    def requested(self) -> int:
        if self.operation.operation == OperationType.MUTATION:
            return MUTATION_COST * len(self.operation.selection_set.selections)
        return self._selections(self.operation.selection_set, self.schema.query_type, None, actual=False)

    def actual(self, data: dict[str, Any] | None) -> int:
        if self.operation.operation == OperationType.MUTATION:
            return self.requested()
        return min(self.requested(), self._selections(self.operation.selection_set, self.schema.query_type,
                                                      data or {}, actual=True))

    def _selections(self, selection_set, parent, data, *, actual: bool) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, data, actual=actual)
            elif isinstance(selection, InlineFragmentNode):
                kind = self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else parent
                total += self._selections(selection.selection_set, kind, data, actual=actual)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments[selection.name.value]
                kind = self.schema.get_type(fragment.type_condition.name.value)
                total += self._selections(fragment.selection_set, kind, data, actual=actual)
        return total

    def _field(self, node: FieldNode, parent, data, *, actual: bool) -> int:
        fields = getattr(parent, "fields", None) or {}
        name = node.name.value
        if name.startswith("__") or name not in fields or node.selection_set is None:
            return 0
        target = get_named_type(fields[name].type)
        if is_leaf_type(target):
            return 0
        if actual:
            value = data.get(node.alias.value if node.alias else name) if isinstance(data, dict) else None
            if value is None:
                return 0
            if target.name.endswith("Connection"):
                return 2 + self._selections(node.selection_set, target, value, actual=True)
            items = value if isinstance(value, list) else [value]
            return sum(1 + self._selections(node.selection_set, target, item, actual=True)
                       for item in items if item is not None)
        children = self._selections(node.selection_set, target, None, actual=False)
        if target.name.endswith("Connection"):
            return 2 + self._page_size(node) * children
        return 1 + children

    def _page_size(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value in ("first", "last"):
                value = argument.value
                if isinstance(value, VariableNode):
                    return int(self.variables.get(value.name.value) or 0)
                return int(getattr(value, "value", 0) or 0)
        return 0


class CostBucket:
    """Points available for queries; Shopify's standard plan holds 2000 and restores 100 a second."""

    def __init__(self, maximum: float = 2000.0, restore_rate: float = 100.0):
        self.maximum, self.restore_rate = maximum, restore_rate
        self._available, self._when = maximum, time.monotonic()
        self._lock = threading.Lock()
        self.throttled = 0

    def _refill(self) -> float:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._when) * self.restore_rate)
        self._when = now
        return self._available

    def take(self, requested: int) -> bool:
        """Charge the requested cost up front, or say THROTTLED (False)."""
        with self._lock:
            if self._refill() < requested:
                self.throttled += 1
                return False
            self._available -= requested
            return True

    def spend(self, points: float) -> None:
        """Another app of the same shop used points from the same bucket."""
        with self._lock:
            self._refill()
            self._available = max(0.0, self._available - points)

    def refund(self, points: int) -> None:
        with self._lock:
            self._available = min(self.maximum, self._available + points)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"maximumAvailable": self.maximum, "currentlyAvailable": int(self._refill()),
                    "restoreRate": self.restore_rate}
