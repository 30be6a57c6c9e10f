"""Small tasks that exercise the job machinery in tests (imported by path by the DB worker)."""

from django_tasks import task

from jobs.services import JobError, job_task, run_job

# Every body run appends here, so tests can tell whether (and how often) a body ran.
CALLS: list[tuple] = []


@job_task()
def count_to(progress, n: int, message: str = "Comptage") -> dict:
    CALLS.append(("count_to", n))
    for i in range(1, n + 1):
        progress(i, n, message)
    return {"summary": f"Compté jusqu'à {n}.", "count": n}


@job_task()
def explode(progress, reason: str) -> None:
    CALLS.append(("explode", reason))
    progress(1, 4, "Première étape")
    raise RuntimeError(reason)


@job_task()
def refuse(progress, reason: str) -> None:
    CALLS.append(("refuse", reason))
    raise JobError(reason)


def _silent_body(progress) -> dict:
    CALLS.append(("silent",))
    return {"ok": True}


@task()
def plain_task(job_id: str) -> dict:
    """A task written by hand around run_job, without the job_task decorator."""
    return run_job(job_id, _silent_body)
