"""Rebuild the steering figures from the ledger: every programme, or one (--programme ID).

Run it from cron (every 15 minutes, say) and after any repair of the ledger."""

from django.core.management.base import BaseCommand, CommandError

from programmes.models import Programme
from steering.services import refresh_programme


class Command(BaseCommand):
    help = "Recalcule les chiffres de pilotage à partir du registre des pass."

    def add_arguments(self, parser):
        parser.add_argument("--programme", type=int, help="identifiant d'un seul programme")

    def handle(self, *args, **options):
        programmes = Programme.objects.order_by("pk")
        if options["programme"] is not None:
            programmes = programmes.filter(pk=options["programme"])
            if not programmes.exists():
                raise CommandError(f"Programme introuvable : {options['programme']}.")
        for programme in programmes:
            refresh = refresh_programme(programme)
            self.stdout.write(
                f"{programme.name} : {refresh.pass_count} pass, "
                f"calculé en {refresh.duration_ms} ms."
            )
