"""manage.py import_handouts FILE.csv --structure ID [--utilisateur EMAIL]

Imports past hand-outs of a prescriber structure (format described on the import page):
all lines or none, French errors line by line."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from organisations.models import Organisation
from orientation import services


class Command(BaseCommand):
    help = "Importe des remises de pass passées (CSV), tout ou rien."

    def add_arguments(self, parser):
        parser.add_argument("file", help="fichier CSV")
        parser.add_argument("--structure", type=int, required=True, help="id de la structure")
        parser.add_argument("--utilisateur", default="", help="e-mail de l'auteur de l'import")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Fichier introuvable : {path}")
        organisation = Organisation.objects.filter(
            pk=options["structure"], kind=Organisation.Kind.PRESCRIBER
        ).first()
        if organisation is None:
            raise CommandError(f"Structure prescriptrice introuvable : {options['structure']}")
        user = None
        if options["utilisateur"]:
            user = User.objects.filter(email__iexact=options["utilisateur"]).first()
            if user is None:
                raise CommandError(f"Utilisateur introuvable : {options['utilisateur']}")
        try:
            result = services.import_handouts(
                organisation, path.read_bytes(), file_name=path.name, by=user
            )
        except services.ImportRefused as exc:
            raise CommandError("Aucune remise importée.\n" + "\n".join(exc.errors)) from exc
        self.stdout.write(
            f"{result.lines} pass remis à {len(result.beneficiaries)} personne(s) "
            f"(import n° {result.handout_import.pk})."
        )
