"""The issuance of an order as a background job (see jobs.services)."""

from django.contrib.auth import get_user_model
from django.http import HttpRequest

from jobs.models import Job
from jobs.services import JobError, job_task, start_job

from . import queries, services
from .exceptions import LedgerError
from .models import Order, OrderStatus


@job_task()
def issue_order_job(progress, order_id: int, user_id: int | None = None) -> dict:
    """Create the booklets and passes of a confirmed order, reporting progress.

    A refusal of the ledger (order not confirmed, already issued) becomes a ``JobError``, so its
    French message is shown as is on the job's page.
    """
    by = get_user_model().objects.filter(pk=user_id).first() if user_id is not None else None
    try:
        return services.issue_order(order_id, progress, by=by)
    except LedgerError as exc:
        raise JobError(str(exc)) from exc


def issue_refusal(order: Order) -> str | None:
    """Why the issuance cannot start now, in French (None when it can). The service checks
    again under lock: this only spares the user a job that would fail."""
    if order.is_issued:
        return f"Les pass de la commande {order.reference} sont déjà émis."
    if order.status != OrderStatus.CONFIRMED:
        return f"La commande {order.reference} doit être confirmée avant l'émission des pass."
    return None


def start_issue_job(order: Order, user, *, request: HttpRequest | None = None) -> Job:
    """Start the issuance job of the order (at most one active per order: JobAlreadyActive)."""
    return start_job(
        queries.ISSUE_JOB_KIND,
        f"Émission de la commande {order.reference}",
        organisation=order.funder,
        user=user,
        task=issue_order_job,
        args=[order.pk, user.pk],
        request=request,
        exclusive_key=queries.issue_exclusive_key(order.pk),
    )
