from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from geo.models import Commune
from geo.services import DEFAULT_DECOUPAGE_DIR, ReferenceDataError, format_count, import_communes


class Command(BaseCommand):
    help = (
        "Importe ou met à jour les communes, arrondissements municipaux, EPCI et EPT depuis le "
        "paquet officiel @etalab/decoupage-administratif (communes.json, epci.json, ept.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            type=Path,
            default=DEFAULT_DECOUPAGE_DIR,
            help=f"dossier contenant communes.json, epci.json et ept.json "
            f"(par défaut : {DEFAULT_DECOUPAGE_DIR})",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="ne rien faire si des communes sont déjà chargées",
        )

    def handle(self, *args, source: Path, if_empty: bool, verbosity: int, **options):
        if if_empty and Commune.objects.exists():
            if verbosity:
                count = format_count(Commune.objects.count())
                self.stdout.write(
                    f"Référentiel des communes déjà chargé ({count} communes) : import ignoré."
                )
            return

        show_progress = verbosity >= 1 and self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"\rÉcriture des communes : {done}/{total}", ending="")
            if done == total:
                self.stdout.write("")

        try:
            result = import_communes(source, progress=progress if show_progress else None)
        except ReferenceDataError as exc:
            raise CommandError(
                f"Import des communes impossible, rien n'a été modifié : {exc}"
            ) from None
        except DatabaseError as exc:
            raise CommandError(
                f"Import des communes interrompu par la base de données, rien n'a été modifié : "
                f"{exc}"
            ) from exc
        if verbosity:
            self.stdout.write(self.style.SUCCESS(result.summary()))
