"""Reads on jobs, with the object-level permission checks every view uses."""

from django.db.models import QuerySet
from django.http import Http404

from organisations.queries import get_membership

from .models import Job

RECENT_JOBS_LIMIT = 50


def _jobs() -> QuerySet[Job]:
    return Job.objects.select_related("organisation", "created_by")


def can_follow(user, job: Job) -> bool:
    """Active members of the job's organisation follow it; platform jobs are for staff."""
    if not user.is_authenticated or not user.is_active:
        return False
    if job.organisation_id is None:
        return user.is_staff
    return get_membership(user, job.organisation_id) is not None


def get_job_for_member(user, job_id) -> Job:
    """The job, or 404 when it does not exist or the user may not follow it.

    A 404 rather than a 403, so that nobody learns that another organisation's job exists.
    """
    job = _jobs().filter(pk=job_id).first()
    if job is None or not can_follow(user, job):
        raise Http404("Tâche introuvable.")
    return job


def recent_jobs_for_organisation(organisation, limit: int = RECENT_JOBS_LIMIT) -> QuerySet[Job]:
    return _jobs().filter(organisation=organisation).order_by("-created_at")[:limit]


def recent_platform_jobs(kind: str | None = None, limit: int = RECENT_JOBS_LIMIT) -> QuerySet[Job]:
    jobs = _jobs().filter(organisation__isnull=True)
    if kind is not None:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created_at")[:limit]


def active_jobs(kind: str, organisation=None) -> QuerySet[Job]:
    """Pending or running jobs of a kind (for one organisation, or platform jobs)."""
    return (
        _jobs()
        .filter(kind=kind, organisation=organisation, status__in=Job.ACTIVE_STATUSES)
        .order_by("-created_at")
    )
