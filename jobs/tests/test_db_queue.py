"""The real queue: django-tasks' database backend and its `db_worker`, as in production."""

import signal

import pytest
from django.core.management import call_command
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from jobs.models import Job
from jobs.services import start_job
from jobs.tests import demo_tasks

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def restore_signals():
    """db_worker installs its own SIGINT/SIGTERM handlers; put the test runner's back."""
    names = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {name: signal.getsignal(name) for name in names}
    yield
    for name, handler in saved.items():
        signal.signal(name, handler)


def run_worker() -> None:
    call_command(
        "db_worker",
        "--batch",
        "--no-startup-delay",
        "--no-reload",
        "--interval",
        "0",
        verbosity=0,
    )


@pytest.mark.django_db(transaction=True)
@override_settings(TASKS=DB_QUEUE)
def test_jobs_go_through_the_database_queue_and_a_worker_runs_them(member_a, restore_signals):
    org, user = member_a.organisation, member_a.user
    ok = start_job(
        "demo.count", "Comptage", organisation=org, user=user, task=demo_tasks.count_to, args=[500]
    )
    ko = start_job(
        "demo.explode",
        "Échec",
        organisation=org,
        user=user,
        task=demo_tasks.explode,
        args=["panne"],
    )
    ok.refresh_from_db()
    ko.refresh_from_db()
    # Enqueued, not run: a worker process will pick them up.
    assert ok.status == ko.status == Job.Status.PENDING
    assert demo_tasks.CALLS == []
    queued = DBTaskResult.objects.get(id=ok.task_result_id)
    assert queued.status == "READY"
    assert queued.task_path == "jobs.tests.demo_tasks.count_to"
    assert queued.args_kwargs["args"] == [str(ok.pk), 500]

    run_worker()

    ok.refresh_from_db()
    ko.refresh_from_db()
    assert ok.status == Job.Status.SUCCEEDED
    assert (ok.progress_current, ok.progress_total) == (500, 500)
    assert ok.result["count"] == 500
    assert ko.status == Job.Status.FAILED
    assert "RuntimeError" in ko.error
    assert DBTaskResult.objects.get(id=ok.task_result_id).status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(id=ko.task_result_id).status == "FAILED"

    # A second worker finds nothing to do, and running a task twice never reruns the job.
    run_worker()
    DBTaskResult.objects.filter(id=ok.task_result_id).update(status="READY")
    run_worker()
    assert demo_tasks.CALLS.count(("count_to", 500)) == 1
    ok.refresh_from_db()
    assert ok.status == Job.Status.SUCCEEDED
