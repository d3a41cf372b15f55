"""The journeys' API: cart events from the web shop (API key), journeys for managers (staff token)."""
from __future__ import annotations

from flask import current_app, request
from flask_openapi3 import APIBlueprint, Tag

from pos.customers.merges import resolve
from pos.http import BEARER, run
from pos.problems import ApiProblem
from pos.stock.problem_docs import problem_responses
from pos.stores.auth import caller
from sync.journeys import privacy, store, tasks
from sync.journeys.carts import record_cart
from sync.journeys.schemas import (CartIn, CartOut, CustomerPath, JourneyExportOut, JourneyOut, JourneyPath,
                                   JourneysOut, TaskOutcomeIn, TaskOut, TaskPath, TaskQuery, TasksOut)
from sync.webshop.http import client_run
from sync.webshop.schemas import RequiredIdempotencyKey

api = APIBlueprint("journeys", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="journeys")],
                   abp_security=BEARER)


@api.post("/carts", responses={201: CartOut, **problem_responses(400, 401, 403, 409, 422)})
def post_cart(body: CartIn, header: RequiredIdempotencyKey):
    """A web-shop cart was created, changed or emptied: it goes on the customer's timeline (journeys react)."""
    def work(session, client):
        return record_cart(session, body, current_app.config["POS_COUNTRY"]), 201
    return client_run("carts:write", work, idempotency_key=header.idempotency_key)


def _journey_json(journey) -> dict:
    return {"key": journey.key, "version": journey.version, "active": journey.active,
            "definition": journey.definition, "created_at": journey.created_at.isoformat(),
            "created_by": journey.created_by}


@api.get("/journeys", responses={200: JourneysOut, **problem_responses(401, 403)})
def list_journeys():
    """The journeys that run now (newest version of each that is on)."""
    def work(session, _):
        caller(session, stores=False, manager=True)
        return {"items": [_journey_json(j) for j in store.current(session)]}
    return run(work, read_only=True, auth=False)


@api.put("/journeys/<key>", responses={201: JourneyOut, **problem_responses(400, 401, 403, 422)})
def put_journey(path: JourneyPath):
    """A new version of a journey (the body is its definition); runs already going keep their version."""
    def work(session, _):
        who = caller(session, stores=False, manager=True)
        raw = request.get_json(silent=True)
        if not isinstance(raw, dict):
            raise ApiProblem(422, "invalid-journey", "body: send the journey's definition as a JSON object",
                             field="body")
        if raw.get("key", path.key) != path.key:
            raise ApiProblem(422, "invalid-journey", "key: must be the key in the path", field="key")
        active = raw.pop("active", True)
        if not isinstance(active, bool):
            raise ApiProblem(422, "invalid-journey", "active: true or false", field="active")
        journey = store.save(session, {**raw, "key": path.key}, actor=who.till.cashier.login, active=active)
        return _journey_json(journey), 201
    return run(work, auth=False)


@api.get("/journeys/customers/<uuid:customer_id>/export",
         responses={200: JourneyExportOut, **problem_responses(401, 403, 404)})
def export_customer(path: CustomerPath):
    """GDPR access to what journeys keep of a person: consents, messages, coupons, survey answers, tasks."""
    def work(session, _):
        caller(session, stores=False, manager=True)
        customer = resolve(session, path.customer_id)
        if customer is None:
            raise ApiProblem(404, "not-found", f"customer_id: no customer {path.customer_id}", field="customer_id")
        return {"customer_id": str(customer.id), **privacy.export(session, customer.id)}
    return run(work, read_only=True, auth=False)


@api.get("/call-centre/tasks", responses={200: TasksOut, **problem_responses(401, 403, 422)})
def list_tasks(query: TaskQuery):
    """The work queue (staff): open tasks oldest first, each with the customer's recent timeline."""
    def work(session, _):
        caller(session, stores=False)
        return {"items": tasks.work_queue(session, query.queue, query.status)}
    return run(work, read_only=True, auth=False)


@api.post("/call-centre/tasks/<uuid:task_id>/outcome", responses={200: TaskOut, **problem_responses(401, 403, 404, 409, 422)})
def close_task(path: TaskPath, body: TaskOutcomeIn):
    """Close a task with an outcome code; it goes on the customer's timeline."""
    def work(session, _):
        who = caller(session, stores=False)
        task = tasks.close(session, path.task_id, body.outcome, body.note, who.till.cashier.login)
        return tasks.task_json(session, task)
    return run(work, auth=False)
