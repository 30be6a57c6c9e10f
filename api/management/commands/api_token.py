from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from api import services

DEFAULT_NAME = "Jeton créé en ligne de commande"


class Command(BaseCommand):
    help = (
        "Crée un jeton d'API personnel pour l'utilisateur désigné par son e-mail et l'affiche "
        "(seul, sur la sortie standard) : il ne sera plus jamais affiché."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("email", help="Adresse e-mail de l'utilisateur.")
        parser.add_argument("--name", default=DEFAULT_NAME, help="Nom du jeton.")

    def handle(self, *args, email: str, name: str, **options) -> None:
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"Aucun utilisateur n'a l'adresse e-mail « {email} ».")
        try:
            _token, clear = services.create_token(
                user, name, actor_label="ligne de commande (manage.py api_token)"
            )
        except services.ApiTokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(clear)
