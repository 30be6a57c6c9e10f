from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand, CommandError

from core.demo import DemoError, load_demo
from core.demo_ledger import ORDER_BOOKLETS, load_ledger_demo
from programmes.models import Programme

# Each domain app may add to the demo with a ``demo.py`` module exposing
# ``load(programme) -> dict`` with optional "lines" (messages to print) and "logins"
# (``core.demo.DemoLogin`` to add to the table). They run in this order, after the ledger.
DEMO_EXTENSIONS = ["ami", "selection", "followup", "payments", "invoicing", "steering"]


class Command(BaseCommand):
    help = "Charge (ou met à jour) la démonstration Grand Paris et affiche les comptes de démo."

    def add_arguments(self, parser):
        parser.add_argument(
            "--booklets",
            type=int,
            default=ORDER_BOOKLETS,
            help="Carnets de la commande de démonstration (15 500 par défaut, comme en 2021).",
        )

    def handle(self, *args, **options):
        try:
            logins = load_demo()
        except DemoError as exc:
            raise CommandError(str(exc)) from exc
        headers = ("Rôle", "Organisation", "E-mail", "Mot de passe")
        rows = [(x.role, x.organisation, x.email, x.password) for x in logins]
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]

        def line(row):
            return (
                "| " + " | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) + " |"
            )

        programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
        ledger = load_ledger_demo(programme, options["booklets"])
        if not ledger.get("skipped"):
            self.stdout.write(
                f"Commande {ledger['order']} : "
                + f"{ledger['passes']:,}".replace(",", " ")
                + " pass émis et activés, carnets remis à "
                f"{ledger['territories']} territoires, {ledger['handed_out']} pass remis"
                + (f" en {ledger['months']} mois" if ledger.get("months") else "")
                + ", "
                f"{ledger['redeemed']} utilisés, {ledger['cancelled']} annulés."
            )
            if "sample_serial" in ledger:
                self.stdout.write(
                    f"Pass de démonstration à encaisser : n° {ledger['sample_serial']}, "
                    f"code {ledger['sample_code']}"
                )
        for app in DEMO_EXTENSIONS:
            if find_spec(f"{app}.demo") is None:
                continue
            result = import_module(f"{app}.demo").load(programme) or {}
            for message in result.get("lines", []):
                self.stdout.write(message)
            rows += [
                (x.role, x.organisation, x.email, x.password) for x in result.get("logins", [])
            ]
        widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(4)]
        self.stdout.write(
            self.style.SUCCESS("Démonstration Grand Paris chargée. Comptes de démo :")
        )
        self.stdout.write(line(headers))
        self.stdout.write("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            self.stdout.write(line(row))
