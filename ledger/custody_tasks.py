"""Background job of the chain of custody: the nightly expiry of passes."""

from datetime import date
from typing import Any

from django.utils.formats import number_format

from jobs.services import job_task

from . import custody

EXPIRE_KIND = "ledger.expire_passes"
EXPIRE_LABEL = "Expiration des pass en fin de validité"


@job_task()
def expire_passes_job(progress, today: str | None = None) -> dict[str, Any]:
    """Run ``custody.expire_passes``; ``today`` is an ISO date (default: today)."""
    progress(0, 0, "Recherche des commandes arrivées en fin de validité…")
    count = custody.expire_passes(date.fromisoformat(today) if today else None, progress=progress)
    return {
        "summary": f"{number_format(count, force_grouping=True)} pass expiré(s).",
        "passes": count,
    }


def start_expiry(*, user=None, request=None, today: date | None = None):
    """Start the expiry as a platform background job (see jobs.services.start_job)."""
    from jobs.services import start_job

    return start_job(
        EXPIRE_KIND,
        EXPIRE_LABEL,
        organisation=None,
        user=user,
        task=expire_passes_job,
        args=[today.isoformat() if today else None],
        request=request,
        exclusive_key=EXPIRE_KIND,
    )
