"""A journey as data: validated on the way in, so a stored definition always runs.

    trigger    {"kind": "cart", "match": {"details.action": ["created", "updated"]}}
    conditions [{"path": "details.score", "op": "<=", "value": 6}]
    reentry    "update" (an active run takes the newer event) | "ignore" | "allow" (another run)
    steps      wait{seconds} | email{template, purpose} | sms{template, purpose} | coupon{amount, currency?,
               valid_days} | task{queue, title} | webhook{event}
    exits      [{"kind": "order", "same_goods": true}, {"kind": "cart", "match": {"details.action": ["emptied"]}}]
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pos.problems import ApiProblem

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in"]
Purpose = Literal["marketing", "transactional"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventMatch(_Strict):
    kind: str = Field(min_length=1, max_length=32)
    match: dict[str, Any] = {}
    same_goods: bool = False  # exits only: a purchase stops the run only if it shares a SKU (or lists none)


class Condition(_Strict):
    path: str = Field(min_length=1, max_length=100)
    op: Op
    value: Any


class Wait(_Strict):
    type: Literal["wait"]
    seconds: int = Field(ge=0, le=366 * 86400)


class Message(_Strict):
    type: Literal["email", "sms"]
    template: str = Field(pattern=r"^[a-z_]{1,40}$")
    purpose: Purpose


class Coupon(_Strict):
    type: Literal["coupon"]
    amount: int = Field(gt=0, le=10**9)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    valid_days: int = Field(gt=0, le=3650)


class Task(_Strict):
    type: Literal["task"]
    queue: str = Field(pattern=r"^[a-z_]{1,32}$")
    title: str = Field(min_length=1, max_length=200)


class Webhook(_Strict):
    type: Literal["webhook"]
    # The step's name, sent as ``data.name`` of a ``journey.step`` webhook (what a receiver subscribes to).
    event: str = Field(pattern=r"^[a-z0-9_]{1,32}(\.[a-z0-9_]{1,32}){0,3}$", max_length=64)


Step = Annotated[Union[Wait, Message, Coupon, Task, Webhook], Field(discriminator="type")]


class Definition(_Strict):
    key: str = Field(pattern=r"^[a-z0-9_]{1,64}$")
    name: str = Field(min_length=1, max_length=200)
    trigger: EventMatch
    conditions: list[Condition] = []
    reentry: Literal["update", "ignore", "allow"] = "ignore"
    max_trigger_age_days: int = Field(default=7, gt=0, le=366)
    steps: list[Step] = Field(min_length=1, max_length=50)
    exits: list[EventMatch] = []


def validate(raw: dict) -> dict:
    """The definition as stored (defaults filled in); a 422 naming the field otherwise."""
    try:
        return Definition.model_validate(raw).model_dump(mode="json")
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise ApiProblem(422, "invalid-journey", f"{field}: {error['msg']}", field=field) from None


def lookup(data: dict, path: str):
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def matches(rule: dict, event: dict) -> bool:
    if rule["kind"] != event["kind"]:
        return False
    for path, wanted in (rule.get("match") or {}).items():
        value = lookup(event, path)
        if isinstance(wanted, list) and value not in wanted:
            return False
        if not isinstance(wanted, list) and value != wanted:
            return False
    return True


def holds(condition: dict, data: dict) -> bool:
    value, op, wanted = lookup(data, condition["path"]), condition["op"], condition["value"]
    try:
        return {"==": lambda: value == wanted, "!=": lambda: value != wanted, "in": lambda: value in wanted,
                "<": lambda: value < wanted, "<=": lambda: value <= wanted,
                ">": lambda: value > wanted, ">=": lambda: value >= wanted}[op]()
    except TypeError:  # a missing or differently typed value does not meet the condition
        return False


HOUR, DAY = 3600, 86400

# On by default (the demo and a new HQ): each is plain data a manager may replace with a new version.
DEFAULTS: list[dict] = [
    {"key": "abandoned_cart", "name": "Abandoned cart reminders",
     "trigger": {"kind": "cart", "match": {"details.action": ["created", "updated"]}},
     "reentry": "update",
     "steps": [{"type": "wait", "seconds": HOUR},
               {"type": "email", "template": "cart_reminder", "purpose": "marketing"},
               {"type": "wait", "seconds": 23 * HOUR},
               {"type": "email", "template": "cart_reminder", "purpose": "marketing"}],
     "exits": [{"kind": "order", "same_goods": True}, {"kind": "sale", "same_goods": True},
               {"kind": "cart", "match": {"details.action": ["emptied"]}}]},
    {"key": "return_nps", "name": "NPS survey after a return",
     "trigger": {"kind": "return"}, "reentry": "allow",
     "steps": [{"type": "wait", "seconds": DAY},
               {"type": "email", "template": "nps_survey", "purpose": "transactional"}]},
    {"key": "detractor_apology", "name": "Apology coupon for a detractor",
     "trigger": {"kind": "survey"}, "reentry": "allow",
     "conditions": [{"path": "details.score", "op": "<=", "value": 6}],
     "steps": [{"type": "coupon", "amount": 2000, "valid_days": 30},
               {"type": "email", "template": "apology_coupon", "purpose": "transactional"}]},
    {"key": "order_accepted_text", "name": "Text: order accepted for delivery",
     "trigger": {"kind": "order", "match": {"details.delivery.method": "delivery"}}, "reentry": "allow",
     "steps": [{"type": "sms", "template": "order_accepted", "purpose": "transactional"}]},
    {"key": "delivery_texts", "name": "Texts as the courier reports",
     "trigger": {"kind": "delivery", "match": {"details.status": ["picked_up", "out_for_delivery", "delivered",
                                                                  "failed"]}},
     "reentry": "allow",
     "steps": [{"type": "sms", "template": "delivery_status", "purpose": "transactional"}]},
    {"key": "delivery_follow_up", "name": "Call-centre follow-up two days after delivery",
     "trigger": {"kind": "delivery", "match": {"details.status": "delivered"}}, "reentry": "allow",
     "steps": [{"type": "wait", "seconds": 2 * DAY},
               {"type": "task", "queue": "call_centre", "title": "Follow up a delivery"}]},
]
