"""`flask jobs`: what HQ's task engine holds (counts per task and status), the queued and failed jobs, and a
failed one run again."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext

from pos.problems import ApiProblem
from pos.terminal.i18n import default_language
from sync.engine import services

MESSAGES = {  # the services' refusals an operator reads here, in the node's language
    "no-task-engine": "This node has no task engine: its jobs run in the worker's own scheduler (SQLite).",
    "job-not-found": "Job %(id)s is not in the engine.",
    "job-not-failed": "Job %(id)s is not failed or aborted: only those are run again.",
    "job-already-queued": "Job %(id)s: a job with its key is queued already and will do its work.",
}


def say(message: str, **values) -> str:
    with force_locale(default_language(current_app.config)):
        return gettext(message, **values)


def _session_do(work, write: bool = False, job_id: int | None = None):
    db = current_app.extensions["pos.db"]
    with db.unit_of_work(read_only=not write) as uow:
        try:
            result = work(uow.session)
        except ApiProblem as problem:
            message = MESSAGES.get(problem.slug)
            raise click.ClickException(say(message, id=job_id) if message else problem.detail) from None
        if write:
            uow.commit()
    return result


def _print(jobs: list[dict]) -> None:
    if not jobs:
        click.echo(say("none"))
    for job in jobs:
        args = " ".join(f"{k}={v}" for k, v in job["args"].items() if k != "timestamp")
        when = f" due {job['due_at']}" if job["due_at"] else ""
        click.echo(f"{job['id']}\t{job['task']}\t{job['key'] or '-'}\t{args or '-'}\tattempt {job['attempts'] + 1}"
                   f"{when}\t{job['changed_at'] or ''}")


@click.group("jobs", invoke_without_command=True, help="HQ's task engine: queued, running and failed jobs.")
@click.pass_context
@with_appcontext
def jobs_cli(context):
    """Without a command: how many jobs of each task are queued, running, failed."""
    if context.invoked_subcommand is None:
        counts = _session_do(services.summary)
        if not counts:
            click.echo(say("no jobs"))
        for task, by_status in counts.items():
            click.echo(f"{task}: " + ", ".join(f"{n} {status}" for status, n in by_status.items()))


@jobs_cli.command("queued")
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def queued_command(limit):
    """Jobs waiting for a worker (a retry shows when it is due), then the running ones."""
    _print(_session_do(lambda s: services.listed(s, "todo", limit) + services.listed(s, "doing", limit)))


@jobs_cli.command("failed")
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def failed_command(limit):
    """Failed jobs (each has its retry queued with back-off until its attempts run out) and aborted ones."""
    _print(_session_do(lambda s: services.listed(s, "failed", limit) + services.listed(s, "aborted", limit)))


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
@with_appcontext
def retry_command(job_id):
    """Run a failed or aborted job again now."""
    _print([_session_do(lambda s: services.retry(s, job_id), write=True, job_id=job_id)])
