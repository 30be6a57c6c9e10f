from django.core.management.base import BaseCommand, CommandError

from ledger.models import Order
from ledger.verification import verify_ledger


class Command(BaseCommand):
    help = (
        "Reconstruit l'état de chaque pass à partir du registre, vérifie les signatures des "
        "événements et signale chaque écart. Code de sortie 1 en cas d'écart."
    )

    def add_arguments(self, parser):
        parser.add_argument("--order", help="Référence d'une commande (toutes par défaut).")

    def handle(self, *args, **options):
        orders = None
        if options["order"]:
            orders = list(Order.objects.filter(reference=options["order"]))
            if not orders:
                raise CommandError(f"Commande inconnue : {options['order']}")
        report = verify_ledger(orders)
        for mismatch in report.mismatches[:1000]:
            self.stdout.write(self.style.ERROR(str(mismatch)))
        summary = (
            f"{report.orders} commande(s), {report.passes} pass, {report.events} événements "
            f"vérifiés : {len(report.mismatches)} écart(s)."
        )
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
        else:
            self.stderr.write(summary)
            raise SystemExit(1)
