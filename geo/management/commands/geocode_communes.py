from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from geo.services import (
    ReferenceDataError,
    communes_without_centre,
    load_centres_csv,
    locate_communes,
)
from programmes.models import Programme


class Command(BaseCommand):
    help = (
        "Renseigne le centre des communes (cartes du pilotage) auprès du service national "
        "d'adresses (BAN) : par défaut les communes des territoires qui n'en ont pas ; "
        "--from-csv lit un fichier insee_code;latitude;longitude sans appel réseau."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--programme", type=int, help="seulement les territoires de ce programme"
        )
        parser.add_argument(
            "--all-missing",
            action="store_true",
            help="toutes les communes sans centre, pas seulement celles des territoires",
        )
        parser.add_argument(
            "--from-csv", type=Path, help="fichier CSV des centres (ex. geo/data/centres_demo.csv)"
        )

    def handle(self, *args, programme=None, all_missing=False, from_csv=None, **options):
        if from_csv is not None:
            try:
                changed = load_centres_csv(from_csv)
            except ReferenceDataError as exc:
                raise CommandError(
                    f"Chargement des centres impossible, rien n'a été modifié : {exc}"
                ) from None
            self.stdout.write(
                self.style.SUCCESS(f"Centres des communes chargés : {changed} modifiés.")
            )
            return
        if programme is not None and not Programme.objects.filter(pk=programme).exists():
            raise CommandError(f"Programme introuvable : {programme}.")
        communes = list(communes_without_centre(programme, all_missing))
        if not communes:
            self.stdout.write("Aucune commune à localiser.")
            return
        result = locate_communes(communes)
        self.stdout.write(result.summary())
        if result.failures:
            raise CommandError(
                f"{len(result.failures)} commune(s) non localisée(s) : relancez la commande "
                "plus tard (les autres sont enregistrées)."
            )
