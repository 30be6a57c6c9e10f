"""manage.py import_places FILE.csv — pre-fill operators' places from a national-schema CSV."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from opendata.imports import ImportFileError, import_places


class Command(BaseCommand):
    help = (
        "Importe des lieux depuis un CSV du schéma national des lieux de médiation numérique "
        "(v1.0.2) ; les lieux sont rattachés à l'opérateur dont le SIRET est la colonne pivot."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV (UTF-8, séparateur virgule)")
        parser.add_argument(
            "--simulation",
            action="store_true",
            help="vérifie le fichier et dit ce qui serait importé, sans rien enregistrer",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise CommandError(f"Fichier introuvable : {path}. Rien n'a été importé.") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(
                f"Le fichier {path} n'est pas en UTF-8. Rien n'a été importé."
            ) from exc
        try:
            report = import_places(text, dry_run=options["simulation"])
        except ImportFileError as exc:
            raise CommandError(
                "Fichier refusé, rien n'a été importé :\n" + "\n".join(exc.errors)
            ) from exc
        for line in report.created:
            self.stdout.write(f"Créé — {line}")
        for line in report.skipped_existing:
            self.stdout.write(f"Déjà présent — {line}")
        for line in report.skipped_unknown_pivot:
            self.stdout.write(f"Ignoré — {line}")
        for line in report.warnings:
            self.stdout.write(f"Avertissement — {line}")
        if options["simulation"]:
            self.stdout.write("Simulation : rien n'a été enregistré.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} lieu(x) créé(s), {len(report.skipped_existing)} déjà "
                f"présent(s), {len(report.skipped_unknown_pivot)} ignoré(s) (SIRET inconnu)."
            )
        )
