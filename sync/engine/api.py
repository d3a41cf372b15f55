"""HQ's task engine for managers (bearer token): the queue as it is, and a failed job run again."""
from __future__ import annotations

from typing import Literal

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from pos.http import BEARER
from pos.schemas import Strict
from pos.stock.problem_docs import problem_responses
from sync.channels.api import as_manager
from sync.engine import services

api = APIBlueprint("jobs", __name__, url_prefix="/api/v1", abp_tags=[Tag(name="jobs")],
                   abp_security=BEARER, abp_responses=problem_responses(401, 403, 404, 409, 422))


class JobQuery(Strict):
    status: Literal["todo", "doing", "failed", "aborted"] = Field(
        default="failed", description="todo: queued (a retry shows when it is due); doing: running; failed; "
                                      "aborted: a dead worker's job whose key was queued again")
    limit: int = Field(default=100, ge=1, le=1000)


class JobPath(BaseModel):
    job_id: int = Field(ge=1, le=2 ** 63 - 1)


@api.get("/jobs")
def get_jobs(query: JobQuery):
    """The engine's jobs in one status, oldest first, and how many of each task are in each status."""
    def work(session):
        return {"items": services.listed(session, query.status, query.limit), "counts": services.summary(session)}
    return as_manager(work, read_only=True)


@api.post("/jobs/<job_id>/retry")
def retry_job(path: JobPath):
    """Run a failed or aborted job again now (409 when its key is queued already: that job does the work)."""
    return as_manager(lambda session: services.retry(session, path.job_id))
