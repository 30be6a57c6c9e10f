"""The steering part of the demo: the centres of the demo's communes (``geo/data/
centres_demo.csv``, no network), then the programme's figures computed from the demo ledger, so
the dashboards and their map have something to show. Idempotent (a refresh replaces the
programme's rows; centres already there are left as they are)."""

from pathlib import Path

from django.conf import settings
from django.urls import reverse

from geo.services import load_centres_csv
from programmes.models import Programme

from .services import refresh_programme

DEMO_CENTRES = Path(settings.BASE_DIR) / "geo" / "data" / "centres_demo.csv"


def load(programme: Programme) -> dict:
    located = load_centres_csv(DEMO_CENTRES, skip_unknown=True)
    refresh = refresh_programme(programme)
    return {
        "lines": [
            f"Pilotage : centres des communes pour la carte ({located} modifiés) ; chiffres "
            f"calculés sur {refresh.pass_count} pass ; tableau de bord du programme : "
            f"{reverse('steering:programme', args=[programme.pk])} ; statistiques publiques : "
            f"{reverse('steering:public')}"
        ],
        "logins": [],
    }
