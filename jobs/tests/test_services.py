import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobs import services
from jobs.models import Job
from jobs.services import (
    JobAlreadyActive,
    JobError,
    ProgressReporter,
    fail_stale_jobs,
    run_job,
    start_job,
)
from jobs.tests import demo_tasks
from journal.models import JournalEntry


def job_updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "jobs_job" in q["sql"]]


# --- start_job: the task runs after commit (ImmediateBackend in tests) ----------------------


@pytest.mark.django_db(transaction=True)
def test_start_job_runs_the_task_to_success_with_result_and_full_progress(member_a):
    job = start_job(
        "demo.count",
        "Comptage de démonstration",
        organisation=member_a.organisation,
        user=member_a.user,
        task=demo_tasks.count_to,
        args=[2500],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"summary": "Compté jusqu'à 2500.", "count": 2500}
    assert (job.progress_current, job.progress_total) == (2500, 2500)
    assert job.progress_percent == 100
    assert job.message == "Compté jusqu'à 2500."
    assert job.error == ""
    assert job.started_at is not None and job.finished_at >= job.started_at
    assert job.task_result_id
    assert job.created_by == member_a.user
    assert demo_tasks.CALLS == [("count_to", 2500)]
    entry = JournalEntry.objects.get(action=JournalEntry.Action.JOB_STARTED)
    assert entry.actor == member_a.user
    assert entry.organisation == member_a.organisation
    assert entry.object_id == str(job.pk)
    assert entry.details["kind"] == "demo.count"


@pytest.mark.django_db(transaction=True)
def test_a_hand_written_task_around_run_job_works_too(staff):
    job = start_job(
        "demo.silent",
        "Tâche silencieuse",
        organisation=None,
        user=staff,
        task=demo_tasks.plain_task,
    )
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result == {"ok": True}
    assert (job.progress_current, job.progress_total) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_start_enqueues_nothing(member_a):
    with pytest.raises(RuntimeError), transaction.atomic():
        start_job(
            "demo.count",
            "Comptage",
            organisation=member_a.organisation,
            user=member_a.user,
            task=demo_tasks.count_to,
            args=[3],
        )
        raise RuntimeError("annulé")
    assert not Job.objects.exists()
    assert demo_tasks.CALLS == []


def test_the_task_is_enqueued_only_at_commit(member_a, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = start_job(
            "demo.count",
            "Comptage",
            organisation=member_a.organisation,
            user=member_a.user,
            task=demo_tasks.count_to,
            args=[3],
        )
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == Job.Status.PENDING
    assert demo_tasks.CALLS == []


def test_task_arguments_must_be_json(member_a):
    with pytest.raises(TypeError, match="JSON"):
        start_job(
            "demo.count",
            "Comptage",
            organisation=member_a.organisation,
            user=member_a.user,
            task=demo_tasks.count_to,
            args=[member_a],
        )
    assert not Job.objects.exists()


def test_an_enqueue_failure_fails_the_job(member_a, django_capture_on_commit_callbacks):
    class BrokenQueue:
        def enqueue(self, *args):
            raise ConnectionError("file d'attente indisponible")

    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(
            "demo.count",
            "Comptage",
            organisation=member_a.organisation,
            user=member_a.user,
            task=BrokenQueue(),
        )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == services.ENQUEUE_ERROR
    assert job.started_at is None and job.finished_at is not None


# --- Failures: never left RUNNING ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_unexpected_exception_fails_the_job_with_a_french_message(member_a, caplog):
    with caplog.at_level(logging.ERROR, logger="jobs.services"):
        job = start_job(
            "demo.explode",
            "Tâche qui échoue",
            organisation=member_a.organisation,
            user=member_a.user,
            task=demo_tasks.explode,
            args=["disque plein /var/secret"],
        )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.finished_at is not None
    assert "erreur inattendue (RuntimeError)" in job.error
    assert str(job.pk) in job.error
    assert "/var/secret" not in job.error  # technical details stay in the logs
    assert (job.progress_current, job.progress_total) == (1, 4)
    assert job.message == "Première étape"
    assert "/var/secret" in caplog.text and "Traceback" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_a_job_error_message_is_shown_as_is(member_a):
    job = start_job(
        "demo.refuse",
        "Tâche refusée",
        organisation=member_a.organisation,
        user=member_a.user,
        task=demo_tasks.refuse,
        args=["Le fichier communes.json est introuvable."],
    )
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == "Le fichier communes.json est introuvable."


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_an_interrupted_worker_fails_the_job_and_the_interruption_goes_on(make_job, exception):
    job = make_job()

    def body(progress):
        progress(3, 10)
        raise exception()

    with pytest.raises(exception):
        run_job(job.pk, body)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.error == services.INTERRUPTED_ERROR


def test_a_result_that_is_not_json_fails_the_job_instead_of_leaving_it_running(make_job):
    job = make_job()
    with pytest.raises(TypeError):
        run_job(job.pk, lambda progress: {"object": object()})
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


def test_dates_and_decimals_in_a_result_become_json(make_job):
    job = make_job()
    day = timezone.now().date()
    result = run_job(job.pk, lambda progress: {"day": day})
    job.refresh_from_db()
    assert job.result == result == {"day": day.isoformat()}


# --- Conditional state changes: a job runs once -------------------------------------------------


@pytest.mark.parametrize("status", [Job.Status.RUNNING, Job.Status.SUCCEEDED, Job.Status.FAILED])
def test_a_job_that_is_not_pending_is_not_started_again(make_job, status):
    job = make_job(status=status, progress_current=5, progress_total=10)
    before = Job.objects.values().get(pk=job.pk)
    calls = []
    assert run_job(job.pk, lambda progress: calls.append(1)) is None
    assert calls == []
    assert Job.objects.values().get(pk=job.pk) == before


def test_two_workers_claiming_the_same_job_run_it_once(make_job):
    job = make_job()
    calls = []
    run_job(job.pk, lambda progress: calls.append("first"))
    run_job(job.pk, lambda progress: calls.append("second"))
    assert calls == ["first"]


def test_an_unknown_job_is_skipped(db):
    assert run_job("00000000-0000-4000-8000-000000000000", lambda progress: 1) is None


def test_a_job_stopped_from_outside_stops_at_its_next_progress_report(make_job):
    job = make_job()
    reached = []

    def body(progress):
        progress(1, 100)
        Job.objects.filter(pk=job.pk).update(
            status=Job.Status.FAILED, error="Arrêtée.", finished_at=timezone.now()
        )
        progress(100, 100)  # the write finds the job no longer RUNNING
        reached.append("after")

    assert run_job(job.pk, body) is None
    assert reached == []
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.error == "Arrêtée."


# --- Progress: cheap, throttled, clamped --------------------------------------------------------


def test_155000_progress_reports_cost_a_handful_of_updates(make_job):
    job = make_job()

    def body(progress):
        for i in range(1, 155_001):
            progress(i, 155_000)
        return {"count": 155_000}

    with CaptureQueriesContext(connection) as ctx:
        run_job(job.pk, body, min_interval=3600)
    # claim, first report, completion, success
    assert len(job_updates(ctx.captured_queries)) == 4
    assert len(ctx.captured_queries) == 4
    job.refresh_from_db()
    assert (job.status, job.progress_current, job.progress_total) == ("SUCCEEDED", 155_000, 155_000)


def test_progress_writes_at_most_once_per_interval(make_job):
    job = make_job(status=Job.Status.RUNNING)
    clock = iter(i * 0.01 for i in range(100_000))  # 10 ms per item
    reporter = ProgressReporter(job.pk, min_interval=1.0, clock=lambda: next(clock))
    with CaptureQueriesContext(connection) as ctx:
        for i in range(1, 1001):  # 10 seconds of work
            reporter(i, 2000, "Écriture")
    updates = job_updates(ctx.captured_queries)
    assert 10 <= len(updates) <= 12
    assert reporter.writes == len(updates)
    job.refresh_from_db()
    assert job.progress_total == 2000 and 900 <= job.progress_current <= 1000
    assert job.message == "Écriture"


def test_progress_between_writes_costs_no_query(make_job, django_assert_num_queries):
    job = make_job(status=Job.Status.RUNNING)
    reporter = ProgressReporter(job.pk, min_interval=3600)
    reporter(1, 10_000)
    with django_assert_num_queries(0):
        for i in range(2, 9_999):
            reporter(i, 10_000, f"Élément {i}")
    with django_assert_num_queries(1):  # reaching the total is always written
        reporter(10_000, 10_000)
    with django_assert_num_queries(1):  # so is a new total
        reporter(0, 20_000)


def test_progress_keeps_the_message_when_none_is_given(make_job):
    job = make_job(status=Job.Status.RUNNING)
    reporter = ProgressReporter(job.pk, min_interval=0)
    reporter(0, 10, "Lecture des fichiers")
    reporter(5, 10)
    job.refresh_from_db()
    assert (job.progress_current, job.message) == (5, "Lecture des fichiers")


def test_progress_values_are_clamped_so_a_buggy_body_does_not_break_the_row(make_job):
    job = make_job(status=Job.Status.RUNNING)
    reporter = ProgressReporter(job.pk, min_interval=0)
    reporter(15, 10)
    job.refresh_from_db()
    assert (job.progress_current, job.progress_total) == (10, 10)
    reporter(-3, -1, "x" * 2000)
    job.refresh_from_db()
    assert (job.progress_current, job.progress_total) == (0, 0)
    assert len(job.message) == 500


@pytest.mark.django_db(transaction=True)
def test_progress_inside_the_body_s_transaction_is_visible_at_once_on_postgresql(make_job):
    """On PostgreSQL progress goes through its own connection, so another process sees it while
    the body's transaction is open. SQLite has one writer at a time: there it shows at commit."""
    from django.db import connections

    job = make_job()
    seen = []

    def body(progress):
        with transaction.atomic():
            progress(40, 100, "Écriture")
            if connection.vendor != "postgresql":
                return {}  # SQLite's in-memory test database has one writer: nothing to observe
            # What another process (the web server) sees while the transaction is open:
            main = transaction.get_connection()
            other = type(main)(dict(main.settings_dict), "observer")
            try:
                with other.cursor() as cursor:
                    job_id = Job._meta.pk.get_db_prep_value(job.pk, other)
                    cursor.execute("SELECT progress_current FROM jobs_job WHERE id = %s", [job_id])
                    seen.append(cursor.fetchone()[0])
            finally:
                other.close()
        return {}

    run_job(job.pk, body, min_interval=0)
    assert seen == ([40] if connection.vendor == "postgresql" else [])
    assert connections["default"].in_atomic_block is False
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED


# --- Exclusive jobs, stale jobs ---------------------------------------------------------------


def test_an_exclusive_key_allows_one_active_job_at_a_time(
    staff, django_capture_on_commit_callbacks
):
    kwargs = {
        "organisation": None,
        "user": staff,
        "task": demo_tasks.count_to,
        "args": [3],
        "exclusive_key": "demo.unique",
    }
    with django_capture_on_commit_callbacks(execute=False):
        first = start_job("demo.count", "Comptage", **kwargs)
    with pytest.raises(JobAlreadyActive) as excinfo:
        start_job("demo.count", "Comptage", **kwargs)
    assert excinfo.value.job == first
    assert Job.objects.count() == 1
    run_job(first.pk, lambda progress: None)
    with django_capture_on_commit_callbacks(execute=False):
        second = start_job("demo.count", "Comptage", **kwargs)
    assert second.pk != first.pk


def test_stale_running_jobs_are_failed(make_job):
    old = timezone.now() - timedelta(hours=2)
    stale = make_job(status=Job.Status.RUNNING)
    Job.objects.filter(pk=stale.pk).update(updated_at=old)
    alive = make_job(status=Job.Status.RUNNING)
    pending = make_job()
    Job.objects.filter(pk=pending.pk).update(updated_at=old)
    assert fail_stale_jobs(timedelta(hours=1)) == 1
    stale.refresh_from_db()
    alive.refresh_from_db()
    pending.refresh_from_db()
    assert stale.status == Job.Status.FAILED and "60 minutes" in stale.error
    assert alive.status == Job.Status.RUNNING
    assert pending.status == Job.Status.PENDING


def test_fail_stale_jobs_command(make_job, capsys):
    job = make_job(status=Job.Status.RUNNING)
    Job.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=20))
    call_command("fail_stale_jobs", "--minutes", "10")
    assert "1 tâche(s)" in capsys.readouterr().out
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


# --- The database holds the rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "PENDING", "progress_current": 11, "progress_total": 10},
        {"status": "DONE"},
        {"status": "PENDING", "kind": "Pas un type"},
        {"status": "PENDING", "label": ""},
        {"status": "RUNNING"},  # no start date
        {"status": "PENDING", "started_at": timezone.now()},
        {"status": "SUCCEEDED", "started_at": timezone.now()},  # no end date
        {"status": "FAILED", "finished_at": timezone.now()},  # no error
        {"status": "PENDING", "error": "Pourquoi ?"},
    ],
)
def test_constraints_refuse_inconsistent_rows(db, fields):
    values = {"kind": "demo.count", "label": "Comptage", **fields}
    with pytest.raises(IntegrityError), transaction.atomic():
        Job.objects.create(**values)


def test_a_zero_total_allows_any_current(db):
    Job.objects.create(kind="demo.count", label="Comptage", progress_current=7)


def test_job_error_is_an_exception_with_a_french_message():
    assert str(JobError("Fichier introuvable.")) == "Fichier introuvable."


def test_duration_display(make_job):
    job = make_job(status=Job.Status.SUCCEEDED)
    job.started_at = job.finished_at - timedelta(minutes=3, seconds=20)
    assert job.duration_display == "3 min 20 s"
    job.started_at = job.finished_at - timedelta(hours=1, minutes=5)
    assert job.duration_display == "1 h 05 min"
    job.started_at = job.finished_at
    assert job.duration_display == "moins d'une seconde"


def test_another_broken_rule_is_not_mistaken_for_an_active_job(staff):
    with pytest.raises(IntegrityError):
        start_job(
            "Pas un type",
            "Comptage",
            organisation=None,
            user=staff,
            task=demo_tasks.count_to,
            exclusive_key="demo.unique",
        )
