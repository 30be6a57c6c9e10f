from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils.formats import number_format

from ledger import custody
from ledger.custody_tasks import start_expiry


class Command(BaseCommand):
    help = (
        "Fait expirer les pass non utilisés des commandes dont la date limite d'utilisation "
        "(fin de validité + tolérance) est passée. À lancer chaque nuit (cron)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--date", help="Date du jour à retenir, AAAA-MM-JJ (par défaut : aujourd'hui)."
        )
        parser.add_argument(
            "--background",
            action="store_true",
            help="Lancer en tâche de fond (suivie dans les tâches de fond) plutôt qu'ici.",
        )

    def handle(self, *args, date: str | None = None, background: bool = False, **options) -> None:
        today = None
        if date:
            try:
                today = _parse(date)
            except ValueError as exc:
                raise CommandError(
                    f"Date invalide « {date} » : format AAAA-MM-JJ attendu."
                ) from exc
        if background:
            job = start_expiry(today=today)
            self.stdout.write(f"Tâche de fond lancée : {job.pk}")
            return
        count = custody.expire_passes(today)
        self.stdout.write(f"{number_format(count, force_grouping=True)} pass expiré(s).")


def _parse(value: str):
    return date.fromisoformat(value)
