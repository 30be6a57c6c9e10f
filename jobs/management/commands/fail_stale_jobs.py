from datetime import timedelta

from django.core.management.base import BaseCommand

from jobs.services import fail_stale_jobs


class Command(BaseCommand):
    help = (
        "Marque en échec les tâches de fond « en cours » qui ne donnent plus signe de vie "
        "(processus de traitement arrêté brutalement). À lancer régulièrement (cron)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--minutes",
            type=int,
            default=60,
            help="Silence, en minutes, au-delà duquel une tâche est considérée arrêtée (60).",
        )

    def handle(self, *args, minutes: int, **options) -> None:
        count = fail_stale_jobs(timedelta(minutes=max(1, minutes)))
        self.stdout.write(f"{count} tâche(s) marquée(s) en échec.")
