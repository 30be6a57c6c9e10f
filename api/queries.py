"""Reads on API tokens. A user only ever reaches their own tokens."""

from django.db.models import F, QuerySet
from django.http import Http404

from .models import ApiToken, hash_token, is_well_formed


def tokens_of(user) -> QuerySet[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


def get_own_token_or_404(user, token_id: int) -> ApiToken:
    """One of the user's tokens; another user's token is a 404, as if it did not exist."""
    token = tokens_of(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404("Jeton introuvable.")
    return token


def find_token(clear_token: str) -> ApiToken | None:
    """The token matching a clear token (revoked or not), with its user; None if unknown."""
    if not is_well_formed(clear_token):
        return None
    token_hash = hash_token(clear_token)
    return ApiToken.objects.select_related("user").filter(token_hash=token_hash).first()
