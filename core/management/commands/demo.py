from django.core.management.base import BaseCommand, CommandError

from core.demo import DemoError, load_demo


class Command(BaseCommand):
    help = "Charge (ou met à jour) la démonstration Grand Paris et affiche les comptes de démo."

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

        self.stdout.write(
            self.style.SUCCESS("Démonstration Grand Paris chargée. Comptes de démo :")
        )
        self.stdout.write(line(headers))
        self.stdout.write("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            self.stdout.write(line(row))
