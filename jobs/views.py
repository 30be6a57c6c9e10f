import functools
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.views.decorators.http import require_GET, require_http_methods

from geo.models import Commune
from organisations.queries import get_membership_or_404

from . import queries
from .services import JobAlreadyActive, start_job
from .tasks import (
    IMPORT_COMMUNES_KIND,
    IMPORT_COMMUNES_LABEL,
    default_communes_source_dir,
    import_communes_job,
)


def login_required_htmx(view):
    """``login_required``, except that an htmx request (the progress bar polling after the
    session expired) gets an ``HX-Redirect`` to the login page instead of the login page
    swapped into the bar."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated and getattr(request, "htmx", False):
            page = request.htmx.current_url_abs_path or request.get_full_path()
            login = redirect_to_login(page, resolve_url(settings.LOGIN_URL))
            return HttpResponse(status=204, headers={"HX-Redirect": login["Location"]})
        return login_required(view)(request, *args, **kwargs)

    return wrapper


@login_required
@require_GET
def detail(request: HttpRequest, job_id) -> HttpResponse:
    job = queries.get_job_for_member(request.user, job_id)
    details = job.result
    if isinstance(details, dict):
        details = {key: value for key, value in details.items() if key != "summary"}
    result_json = json.dumps(details, indent=2, ensure_ascii=False) if details else ""
    return render(
        request,
        "jobs/detail.html",
        {"job": job, "organisation": job.organisation, "result_json": result_json},
    )


@login_required_htmx
@require_GET
def progress(request: HttpRequest, job_id) -> HttpResponse:
    """The progress bar alone; it polls this view while the job is pending or running.

    The bar sends the state it displays (``?etat=``): when the state changed, the response
    also updates the page's live region (announced by screen readers) and fires the htmx event
    ``jobFinished`` once the job is over, for pages that want to refresh a part of themselves
    (``hx-trigger="jobFinished from:body"``).
    """
    job = queries.get_job_for_member(request.user, job_id)
    shown = request.GET.get("etat", "")
    changed = bool(shown) and shown != job.status
    template = "jobs/_progress_bar.html" if request.htmx else "jobs/_progress.html"
    response = render(request, template, {"job": job, "announce": changed})
    if request.htmx and changed and job.is_finished:
        response["HX-Trigger"] = json.dumps(
            {"jobFinished": {"id": str(job.pk), "status": job.status}}
        )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def organisation_jobs(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    return render(
        request,
        "jobs/organisation_jobs.html",
        {
            "organisation": organisation,
            "membership": membership,
            "jobs": queries.recent_jobs_for_organisation(organisation),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def communes_refresh(request: HttpRequest) -> HttpResponse:
    """Staff only: start the platform job that refreshes the communes reference data."""
    if not request.user.is_staff:
        raise PermissionDenied("Cette page est réservée à l'équipe Passnum.")
    if request.method == "POST":
        try:
            job = start_job(
                IMPORT_COMMUNES_KIND,
                IMPORT_COMMUNES_LABEL,
                organisation=None,
                user=request.user,
                task=import_communes_job,
                args=[str(default_communes_source_dir())],
                request=request,
                exclusive_key=IMPORT_COMMUNES_KIND,
            )
        except JobAlreadyActive as exc:
            messages.warning(request, "Une mise à jour du référentiel est déjà en cours.")
            return redirect("jobs:detail", exc.job.pk)
        messages.success(request, "La mise à jour du référentiel des communes est lancée.")
        return redirect("jobs:detail", job.pk)
    return render(
        request,
        "jobs/communes_refresh.html",
        {
            "commune_count": Commune.objects.count(),
            "source_dir": default_communes_source_dir(),
            "active": queries.active_jobs(IMPORT_COMMUNES_KIND).first(),
            "jobs": queries.recent_platform_jobs(IMPORT_COMMUNES_KIND, limit=10),
        },
    )
