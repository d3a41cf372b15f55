"""The call centre's work queue: tasks a journey made, with the customer's context, closed with an outcome code
that lands on the customer's timeline."""
from __future__ import annotations

from sqlalchemy import select

from pos.customers.services import record_interaction, timeline
from pos.db import utcnow
from pos.problems import ApiProblem
from sync.journeys.models import JourneyTask

# How a call went: the call centre picks one; it lands on the customer's timeline.
OUTCOMES = ("reached_happy", "reached_problem", "no_answer", "call_back", "wrong_number", "declined")


def task_json(session, task: JourneyTask) -> dict:
    return {"id": str(task.id), "queue": task.queue, "customer_id": str(task.customer_id), "title": task.title,
            "status": task.status, "outcome": task.outcome, "created_at": task.created_at.isoformat(),
            # What was bought and how the delivery went: the customer's latest interactions.
            "context": {**task.context, "timeline": timeline(session, task.customer_id, 10)}}


def work_queue(session, queue: str, status: str) -> list[dict]:
    tasks = session.scalars(select(JourneyTask).where(JourneyTask.queue == queue, JourneyTask.status == status)
                            .order_by(JourneyTask.created_at).limit(200))
    return [task_json(session, task) for task in tasks]


def close(session, task_id, outcome: str, note: str, agent: str) -> JourneyTask:
    task = session.get(JourneyTask, task_id)
    if task is None:
        raise ApiProblem(404, "not-found", f"task_id: no task {task_id}", field="task_id")
    if task.status == "done":
        if task.outcome == outcome:
            return task  # the same answer sent twice
        raise ApiProblem(409, "task-done", f"outcome: the task was closed as {task.outcome}", field="outcome")
    task.status, task.outcome, task.done_at = "done", outcome, utcnow()
    record_interaction(session, task.customer_id, "call_centre", "task", task.id,
                       {"action": "closed", "status": outcome, "note": note, "agent": agent})
    return task
