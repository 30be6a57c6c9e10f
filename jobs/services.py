"""Background jobs: start them, run their body with progress reporting, finish them.

How another app uses this module::

    from jobs.services import job_task, start_job

    @job_task()                      # a django-tasks task whose first argument is the job id
    def print_order(progress, order_id):
        ...
        for i, booklet in enumerate(booklets, 1):
            ...
            progress(i, len(booklets), "Impression des carnets")   # cheap, throttled
        return {"summary": "1 550 carnets imprimés.", "booklets": 1550}

    job = start_job(
        "ledger.print_order", f"Impression de la commande {order}",
        organisation=order.funder, user=request.user, task=print_order, args=[order.pk],
        request=request,
    )
    return redirect("jobs:detail", job.pk)

Several workers on several machines share the queue: every state change is a conditional
``UPDATE … WHERE status = …`` whose row count is checked, so a job runs at most once and a
finished job is never reopened.
"""

import functools
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.db.models import Q
from django.db.models.sql.constants import ROW_COUNT
from django.db.models.sql.subqueries import UpdateQuery
from django.http import HttpRequest
from django.utils import timezone
from django_tasks import task as django_task

from journal.models import JournalEntry
from journal.services import record

from .models import Job

logger = logging.getLogger(__name__)

# At most one progress write per job and per interval (seconds). The progress bar polls every
# second, so writing more often would only cost database writes nobody sees.
PROGRESS_MIN_INTERVAL = 1.0
# Even without change, a running job writes a heartbeat this often (see fail_stale_jobs).
HEARTBEAT_INTERVAL = 60.0
MESSAGE_MAX_LENGTH = Job._meta.get_field("message").max_length

UNEXPECTED_ERROR = (
    "La tâche a échoué à cause d'une erreur inattendue ({name}). L'incident est consigné dans "
    "les journaux du serveur ; l'équipe technique peut le retrouver avec l'identifiant {job_id}."
)
INTERRUPTED_ERROR = "La tâche a été interrompue avant la fin (arrêt du processus)."
ENQUEUE_ERROR = "La tâche n'a pas pu être mise en file d'attente. Réessayez plus tard."
STALE_ERROR = (
    "La tâche ne donne plus signe de vie depuis {minutes} minutes : le processus qui "
    "l'exécutait s'est probablement arrêté. Relancez-la."
)


class JobError(Exception):
    """A failure whose message (in French) is shown to users as is.

    Raise it from a job body for expected failures (« Le fichier communes.json est introuvable. »).
    Any other exception is logged with its traceback and shown as a generic message.
    """


class JobAlreadyActive(Exception):
    """Another job with the same exclusive key is pending or running (``.job``)."""

    def __init__(self, job: Job):
        self.job = job
        super().__init__("Une tâche identique est déjà en cours.")


class JobNotRunning(Exception):
    """The job is no longer RUNNING (marked failed as stale, finished elsewhere): stop working."""


Progress = Callable[..., None]


# --- Starting -------------------------------------------------------------------------------


def start_job(
    kind: str,
    label: str,
    *,
    organisation,
    user,
    task,
    args: Sequence[Any] = (),
    request: HttpRequest | None = None,
    exclusive_key: str | None = None,
) -> Job:
    """Create a PENDING job, journal it, and enqueue ``task(job_id, *args)`` after commit.

    ``task`` is a django-tasks task whose first argument is the job id (use ``@job_task()``).
    ``args`` must be JSON-serialisable (ids, strings; not model instances). ``organisation`` is
    None for a platform job. With ``exclusive_key``, at most one job with that key can be active
    at a time (a database constraint); a second start raises ``JobAlreadyActive``.

    The task is enqueued when the surrounding transaction commits, so a worker never sees a job
    that is not in the database yet, and a rolled-back start enqueues nothing.
    """
    args = list(args)
    try:
        json.dumps(args)
    except TypeError as exc:
        raise TypeError(f"Les arguments d'une tâche de fond doivent être du JSON : {exc}") from exc
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                label=label,
                organisation=organisation,
                created_by=user if user is not None and user.is_authenticated else None,
                exclusive_key=exclusive_key,
            )
            record(
                JournalEntry.Action.JOB_STARTED,
                actor=job.created_by,
                organisation=organisation,
                obj=job,
                request=request,
                details={"kind": kind, "job_id": str(job.pk)},
            )
    except IntegrityError:
        active = active_job_for_key(exclusive_key) if exclusive_key is not None else None
        if active is None:
            raise  # another rule was broken (kind format, empty label…)
        raise JobAlreadyActive(active) from None
    transaction.on_commit(functools.partial(_enqueue, job, task, args))
    return job


def active_job_for_key(exclusive_key: str) -> Job | None:
    return (
        Job.objects.filter(exclusive_key=exclusive_key, status__in=Job.ACTIVE_STATUSES)
        .order_by("-created_at")
        .first()
    )


def _enqueue(job: Job, task, args: list) -> None:
    try:
        task_result = task.enqueue(str(job.pk), *args)
    except Exception:
        logger.exception("Job %s (%s): enqueue failed", job.pk, job.kind)
        now = timezone.now()
        Job.objects.filter(pk=job.pk, status=Job.Status.PENDING).update(
            status=Job.Status.FAILED, error=ENQUEUE_ERROR, finished_at=now, updated_at=now
        )
        return
    # With the immediate backend the task has already run: only touch this one column.
    Job.objects.filter(pk=job.pk).update(task_result_id=str(task_result.id)[:64])
    job.task_result_id = str(task_result.id)[:64]


# --- Running --------------------------------------------------------------------------------


class ProgressReporter:
    """The ``progress(current, total=None, message=None)`` callback given to a job body.

    Calls are cheap: the job row is written at most once per ``min_interval`` seconds, plus
    when the total changes and when the work reaches its total. ``total=None`` and
    ``message=None`` keep the previous values, so ``progress(i, n)`` keeps the current message.
    Values are clamped (0 ≤ current ≤ total) so that a bug in a body never breaks the row's
    constraints. Raises ``JobNotRunning`` when the job was stopped from outside.
    """

    def __init__(
        self,
        job_id,
        *,
        min_interval: float = PROGRESS_MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        side_connection_allowed: bool = False,
    ):
        self.job_id = job_id
        self.min_interval = min_interval
        self.clock = clock
        self.current = 0
        self.total = 0
        self.message = ""
        self.writes = 0  # how many UPDATEs this reporter issued
        self._last_write_at: float | None = None
        self._written: tuple[int, int, str] = (0, 0, "")
        self._side_connection_allowed = side_connection_allowed
        self._side_connection = None

    def __call__(self, current: int, total: int | None = None, message: str | None = None) -> None:
        if total is not None:
            self.total = max(0, int(total))
        self.current = max(0, int(current))
        if self.total > 0:
            self.current = min(self.current, self.total)
        if message is not None:
            self.message = str(message)[:MESSAGE_MAX_LENGTH]
        now = self.clock()
        if self._write_due(now):
            self.flush(now)

    def _write_due(self, now: float) -> bool:
        if self._last_write_at is None:
            return True
        written_current, written_total, _ = self._written
        if self.total != written_total:
            return True
        if self.total > 0 and self.current == self.total and written_current != self.current:
            return True
        elapsed = now - self._last_write_at
        if elapsed < self.min_interval:
            return False
        state = (self.current, self.total, self.message)
        return state != self._written or elapsed >= HEARTBEAT_INTERVAL

    def flush(self, now: float | None = None) -> None:
        """Write the current state now (conditional on the job still being RUNNING)."""
        self._last_write_at = self.clock() if now is None else now
        self._written = (self.current, self.total, self.message)
        values = {
            "progress_current": self.current,
            "progress_total": self.total,
            "message": self.message,
            "updated_at": timezone.now(),
        }
        queryset = Job.objects.filter(pk=self.job_id, status=Job.Status.RUNNING)
        updated = self._update(queryset, values)
        self.writes += 1
        if updated == 0:
            raise JobNotRunning(str(self.job_id))

    def _update(self, queryset, values: dict) -> int:
        """One UPDATE. Inside a transaction opened by the body, on PostgreSQL, the write goes
        through a separate autocommit connection so that it is visible at once (otherwise
        nobody would see it before the body commits). Never on SQLite (one writer at a time)."""
        if not (
            self._side_connection_allowed
            and connection.in_atomic_block
            and connection.vendor == "postgresql"
        ):
            return queryset.update(**values)
        query = queryset.query.chain(UpdateQuery)
        query.add_update_values(values)
        try:
            if self._side_connection is None:
                main = transaction.get_connection()
                self._side_connection = type(main)(dict(main.settings_dict), main.alias)
                with self._side_connection.cursor() as cursor:
                    # Never wait on a lock held by the body's transaction: skip the write instead.
                    cursor.execute("SET lock_timeout = '2s'")
            return query.get_compiler(connection=self._side_connection).execute_sql(ROW_COUNT)
        except DatabaseError:
            logger.warning("Job %s: progress write skipped", self.job_id, exc_info=True)
            return 1

    def close(self) -> None:
        if self._side_connection is not None:
            self._side_connection.close()
            self._side_connection = None


def run_job(
    job_id,
    fn: Callable[..., Any],
    *args: Any,
    min_interval: float = PROGRESS_MIN_INTERVAL,
    **kwargs: Any,
) -> Any:
    """Run ``fn(progress, *args, **kwargs)`` as the body of job ``job_id``; call it from a task.

    1. Claims the job: ``UPDATE … SET status = RUNNING WHERE id = … AND status = PENDING``. If no
       row changed (another worker has it, or it is finished), returns None without running.
    2. Calls the body with a throttled ``progress`` callback (see ``ProgressReporter``).
    3. Stores SUCCEEDED with the result (JSON; a dict may hold a French « summary »), progress at
       total; or FAILED with a French error (``JobError`` messages as is, a generic message for
       anything else, whose traceback is logged) and re-raises so the task is marked failed too.
       A job never stays RUNNING after an exception, even KeyboardInterrupt or SystemExit.

    A body may write in one long transaction: on PostgreSQL, progress reported inside it goes
    through a separate connection and is visible at once; on SQLite (one writer at a time) it
    becomes visible at commit. Committing in chunks and reporting between them works everywhere.
    """
    now = timezone.now()
    claimed_in_transaction = connection.in_atomic_block
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.PENDING).update(
        status=Job.Status.RUNNING, started_at=now, updated_at=now
    )
    if not claimed:
        logger.warning(
            "Job %s: not pending (already started elsewhere or finished); skipped", job_id
        )
        return None
    logger.info("Job %s: started", job_id)
    progress = ProgressReporter(
        job_id, min_interval=min_interval, side_connection_allowed=not claimed_in_transaction
    )
    try:
        result = _to_json(fn(progress, *args, **kwargs))
        _finish_succeeded(job_id, progress, result)
    except JobNotRunning:
        logger.warning("Job %s: stopped from outside while running", job_id)
        return None
    except BaseException as exc:
        if isinstance(exc, JobError | ValidationError):
            logger.warning("Job %s failed: %s", job_id, exc, exc_info=True)
        else:
            logger.exception("Job %s failed with an unexpected error", job_id)
        _finish_failed(job_id, progress, _user_error(job_id, exc))
        raise
    finally:
        progress.close()
    logger.info("Job %s: succeeded", job_id)
    return result


def job_task(**task_options) -> Callable:
    """Decorator: turn a body ``fn(progress, *args)`` into a django-tasks task
    ``task(job_id, *args)`` that runs it with ``run_job``. Use it on a module-level function;
    the task keeps the function's module path, so workers can import it."""

    def decorator(body: Callable[..., Any]):
        @functools.wraps(body)
        def run(job_id: str, *args: Any, **kwargs: Any) -> Any:
            return run_job(job_id, body, *args, **kwargs)

        return django_task(**task_options)(run)

    return decorator


def _to_json(value: Any) -> Any:
    """A plain-JSON copy of the body's result (dates and decimals become strings)."""
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _user_error(job_id, exc: BaseException) -> str:
    if isinstance(exc, JobError) and str(exc):
        return str(exc)
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return INTERRUPTED_ERROR
    return UNEXPECTED_ERROR.format(name=type(exc).__name__, job_id=job_id)


def _finish_succeeded(job_id, progress: ProgressReporter, result: Any) -> None:
    now = timezone.now()
    total = progress.total
    summary = result.get("summary") if isinstance(result, dict) else None
    message = summary if isinstance(summary, str) and summary else progress.message
    updated = Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
        status=Job.Status.SUCCEEDED,
        progress_current=total if total > 0 else progress.current,
        progress_total=total,
        message=message[:MESSAGE_MAX_LENGTH],
        result=result,
        finished_at=now,
        updated_at=now,
    )
    if not updated:
        raise JobNotRunning(str(job_id))


def _finish_failed(job_id, progress: ProgressReporter, error: str) -> None:
    values = {
        "status": Job.Status.FAILED,
        "error": error,
        "progress_current": progress.current,
        "progress_total": progress.total,
        "message": progress.message,
    }
    for attempt in (1, 2):
        now = timezone.now()
        try:
            Job.objects.filter(pk=job_id, status=Job.Status.RUNNING).update(
                **values, finished_at=now, updated_at=now
            )
            return
        except DatabaseError:
            # The body may have broken the connection: get a fresh one and try once more.
            logger.exception("Job %s: could not record the failure (attempt %s)", job_id, attempt)
            if connection.in_atomic_block:
                return
            close_old_connections()
            connection.close()


# --- Housekeeping ---------------------------------------------------------------------------


def fail_stale_jobs(silence: timedelta = timedelta(hours=1)) -> int:
    """Mark FAILED the RUNNING jobs with no progress write for ``silence`` (their worker was
    killed: no exception handler ever ran). Run it from cron: ``manage.py fail_stale_jobs``."""
    now = timezone.now()
    return Job.objects.filter(
        Q(status=Job.Status.RUNNING) & Q(updated_at__lt=now - silence)
    ).update(
        status=Job.Status.FAILED,
        error=STALE_ERROR.format(minutes=int(silence.total_seconds() // 60)),
        finished_at=now,
        updated_at=now,
    )
