"""Background job: build the printer's PDF of an order into private storage.

The file goes to MEDIA_ROOT/print/<order id>/ (private storage, outside the web root: it is only
served by the print download view, to the admins of the order's funder or issuer). The job's
result holds the path relative to MEDIA_ROOT and the size, which the download view reads.
"""

import os
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest

from jobs.models import Job
from jobs.services import JobError, Progress, job_task, start_job

from . import printing
from .models import Order

JOB_KIND = "ledger.print_order"


def exclusive_key(order_id: int) -> str:
    return f"print:{order_id}"


@job_task()
def print_order(progress: Progress, order_id: int) -> dict:
    try:
        order = printing.printable_order(order_id)
    except printing.PrintError as exc:
        raise JobError(str(exc)) from exc
    relative = Path("print") / str(order.pk) / f"{order.reference}.pdf"
    target = Path(settings.MEDIA_ROOT) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with open(partial, "wb") as out:
            counts = printing.write_order_pdf(order, out, progress)
        os.replace(partial, target)  # a reader never sees a half-written file
    finally:
        partial.unlink(missing_ok=True)
    size = target.stat().st_size
    return {
        "summary": (
            f"{counts['booklets']} carnet{'s' if counts['booklets'] > 1 else ''} imprimé"
            f"{'s' if counts['booklets'] > 1 else ''} : {counts['pages']} pages, "
            f"{printing.format_size(size)}."
        ),
        "path": relative.as_posix(),
        "size": size,
        **counts,
    }


def start_print(order: Order, *, user, organisation, request: HttpRequest | None = None) -> Job:
    """Start the print job of an issued order (PrintError otherwise, JobAlreadyActive when one
    is already pending or running for this order)."""
    printing.ensure_printable(order)
    return start_job(
        JOB_KIND,
        f"Impression de la commande {order.reference}",
        organisation=organisation,
        user=user,
        task=print_order,
        args=[order.pk],
        request=request,
        exclusive_key=exclusive_key(order.pk),
    )


def latest_job(order: Order) -> Job | None:
    return (
        Job.objects.filter(kind=JOB_KIND, exclusive_key=exclusive_key(order.pk))
        .select_related("organisation", "created_by")
        .order_by("-created_at")
        .first()
    )


def latest_file(order: Order) -> tuple[Job, Path] | None:
    """The newest successful print job of the order and its file, when the file still exists."""
    jobs = Job.objects.filter(
        kind=JOB_KIND, exclusive_key=exclusive_key(order.pk), status=Job.Status.SUCCEEDED
    ).order_by("-finished_at")
    for job in jobs[:5]:
        relative = (job.result or {}).get("path") if isinstance(job.result, dict) else None
        if not relative:
            continue
        root = (Path(settings.MEDIA_ROOT) / "print").resolve()
        path = (Path(settings.MEDIA_ROOT) / relative).resolve()
        if path.is_relative_to(root) and path.is_file():
            return job, path
    return None
