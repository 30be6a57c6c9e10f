"""The steering refresh job (see services.refresh_programme)."""

from jobs.services import job_task
from programmes.models import Programme

from .services import refresh_programme


@job_task()
def refresh_task(progress, programme_id: int) -> dict:
    programme = Programme.objects.get(pk=programme_id)
    progress(0, 1, "Calcul des chiffres")
    refresh = refresh_programme(programme)
    progress(1, 1, "Chiffres à jour")
    return {
        "summary": f"Chiffres recalculés sur {refresh.pass_count} pass.",
        "passes": refresh.pass_count,
        "duration_ms": refresh.duration_ms,
    }
