from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from geo.services import ReferenceDataError, import_qpv


class Command(BaseCommand):
    help = (
        "Importe ou met à jour les quartiers prioritaires de la politique de la ville (QPV) depuis "
        "la liste CSV de l'ANCT (colonnes code_qp, lib_qp, insee_com ; séparateur « ; » ou « , »)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="fichier CSV de la liste des QPV")

    def handle(self, *args, path: Path, verbosity: int, **options):
        try:
            result = import_qpv(path)
        except ReferenceDataError as exc:
            raise CommandError(f"Import des QPV impossible, rien n'a été modifié : {exc}") from None
        except DatabaseError as exc:
            raise CommandError(
                f"Import des QPV interrompu par la base de données, rien n'a été modifié : {exc}"
            ) from exc
        if verbosity:
            self.stdout.write(self.style.SUCCESS(result.summary()))
