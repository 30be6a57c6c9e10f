"""Writes on API tokens. Creation and revocation are journaled; nothing else is."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from journal.models import JournalEntry
from journal.services import record

from .models import ApiToken, generate_token, hash_token

MAX_ACTIVE_TOKENS_PER_USER = 20
# last_used_at is a hint for people, not an audit trail: write it at most once a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenError(Exception):
    """A business rule refused the change; the message is shown to the user as is."""


@transaction.atomic
def create_token(
    user: User,
    name: str,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; return it with the clear token, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ApiTokenError("Donnez un nom au jeton.")
    if len(name) > ApiToken.NAME_MAX_LENGTH:
        raise ApiTokenError(
            f"Le nom du jeton ne doit pas dépasser {ApiToken.NAME_MAX_LENGTH} caractères."
        )
    # Lock the user's row so that concurrent creations cannot pass the limit together.
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ApiTokenError("Ce compte est désactivé : il ne peut pas recevoir de jeton d'API.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= (
        MAX_ACTIVE_TOKENS_PER_USER
    ):
        raise ApiTokenError(
            f"Vous avez déjà {MAX_ACTIVE_TOKENS_PER_USER} jetons actifs : "
            "révoquez ceux qui ne servent plus avant d'en créer un autre."
        )
    clear, prefix = generate_token()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, token_hash=hash_token(clear)
    )
    record(
        JournalEntry.Action.API_TOKEN_CREATED,
        actor=actor,
        obj=token,
        request=request,
        actor_label=actor_label,
        details={"user": user.email, "name": name, "prefix": prefix},
    )
    return token, clear


@transaction.atomic
def revoke_token(
    token: ApiToken,
    *,
    actor: User | None = None,
    request: HttpRequest | None = None,
    actor_label: str = "",
) -> bool:
    """Revoke the token. Return False (and journal nothing) when it was already revoked."""
    now = timezone.now()
    changed = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    if not changed:
        token.refresh_from_db(fields=["revoked_at"])
        return False
    token.revoked_at = now
    record(
        JournalEntry.Action.API_TOKEN_REVOKED,
        actor=actor,
        obj=token,
        request=request,
        actor_label=actor_label,
        details={"user": token.user.email, "name": token.name, "prefix": token.prefix},
    )
    return True


def mark_used(token: ApiToken) -> None:
    """Record that the token was just used, with one conditional UPDATE at most once a minute."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    ).update(last_used_at=now)
    token.last_used_at = now
