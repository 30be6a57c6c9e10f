from django.conf import settings
from django.core.management.base import BaseCommand

from beneficiaries.services import purge_personal_data


class Command(BaseCommand):
    help = (
        "Anonymise les fiches des bénéficiaires dont le dernier événement date de plus de "
        "PERSONAL_DATA_RETENTION_MONTHS mois (les statistiques restent identiques)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Affiche les fiches concernées sans rien modifier.",
        )

    def handle(self, *args, **options) -> None:
        result = purge_personal_data(dry_run=options["dry_run"])
        months = settings.PERSONAL_DATA_RETENTION_MONTHS
        count = len(result.references)
        if options["dry_run"]:
            self.stdout.write(
                f"Simulation : {count} fiche(s) à anonymiser (dernier événement avant le "
                f"{result.cutoff:%d/%m/%Y}, conservation {months} mois)."
            )
            for reference in result.references:
                self.stdout.write(f"  {reference}")
        else:
            self.stdout.write(f"{count} fiche(s) anonymisée(s) (conservation {months} mois).")
