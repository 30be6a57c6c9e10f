"""The steering part of the demo: compute the programme's figures from the demo ledger, so the
dashboards have something to show. Idempotent (a refresh replaces the programme's rows)."""

from django.urls import reverse

from programmes.models import Programme

from .services import refresh_programme


def load(programme: Programme) -> dict:
    refresh = refresh_programme(programme)
    return {
        "lines": [
            f"Pilotage : chiffres calculés sur {refresh.pass_count} pass ; tableau de bord du "
            f"programme : {reverse('steering:programme', args=[programme.pk])} ; statistiques "
            f"publiques : {reverse('steering:public')}"
        ],
        "logins": [],
    }
