"""manage.py variable_data ORDER_ID: the order's variable-data CSV on standard output.

For the issuer's print pipeline (…| imprimeur). No byte-order mark on standard output (it would
corrupt a pipe); the download from the print page has one, for Excel. Journaled as a download.
"""

from django.core.management.base import BaseCommand, CommandError

from ledger import printing


class Command(BaseCommand):
    help = (
        "Écrit sur la sortie standard le fichier de données variables (CSV « ; ») d'une commande "
        "émise : numéro, code, contenu du QR code, carnet, valeur, fin de validité de chaque pass."
    )

    def add_arguments(self, parser):
        parser.add_argument("order_id", type=int, help="Identifiant (numéro) de la commande.")

    def handle(self, *args, **options):
        try:
            order = printing.printable_order(options["order_id"])
        except printing.PrintError as exc:
            raise CommandError(str(exc)) from exc
        rows = 0
        for line in printing.iter_variable_data_csv(order, bom=False):
            self.stdout.write(line, ending="")
            rows += 1
        printing.record_download(
            order,
            file="csv",
            organisation=order.issuer or order.funder,
            actor_label="ligne de commande",
            passes=rows - 1,
            via="manage.py variable_data",
        )
