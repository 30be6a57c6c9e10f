"""Personal API tokens.

A token reads ``pn_<prefix>_<secret>``: the prefix (8 base32 characters, 40 bits) is stored in
clear so that people can tell their tokens apart; the secret carries 256 bits from ``secrets``.
Only the SHA-256 hash of the whole token is stored, so a database dump cannot be replayed
against the API. The clear token is shown once, at creation.
"""

import base64
import hashlib
import re
import secrets

from django.conf import settings
from django.db import models

TOKEN_SCHEME = "pn"
PREFIX_LENGTH = 8  # 5 random bytes in base32
SECRET_LENGTH = 52  # 32 random bytes (256 bits) in base32, without padding
TOKEN_RE = re.compile(
    rf"{TOKEN_SCHEME}_[a-z2-7]{{{PREFIX_LENGTH}}}_[a-z2-7]{{{SECRET_LENGTH}}}", re.ASCII
)


def _random_base32(nbytes: int) -> str:
    return base64.b32encode(secrets.token_bytes(nbytes)).decode("ascii").rstrip("=").lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> tuple[str, str]:
    """A new clear token and its visible prefix."""
    prefix = _random_base32(5)
    return f"{TOKEN_SCHEME}_{prefix}_{_random_base32(32)}", prefix


def is_well_formed(token: str) -> bool:
    return TOKEN_RE.fullmatch(token) is not None


class ApiToken(models.Model):
    """A personal access token: acts in the API with its user's rights, until revoked."""

    NAME_MAX_LENGTH = 100

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    name = models.CharField("nom", max_length=NAME_MAX_LENGTH)
    prefix = models.CharField("préfixe", max_length=PREFIX_LENGTH, editable=False)
    token_hash = models.CharField("empreinte SHA-256", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    last_used_at = models.DateTimeField("dernière utilisation", null=True, blank=True)
    revoked_at = models.DateTimeField("révoqué le", null=True, blank=True)

    class Meta:
        verbose_name = "jeton d'API"
        verbose_name_plural = "jetons d'API"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="apitoken_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(prefix__regex=r"^[a-z2-7]{8}$"), name="apitoken_prefix_format"
            ),
            models.CheckConstraint(
                condition=models.Q(token_hash__regex=r"^[0-9a-f]{64}$"),
                name="apitoken_hash_format",
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True)
                | models.Q(revoked_at__gte=models.F("created_at")),
                name="apitoken_revoked_after_creation",
            ),
            models.CheckConstraint(
                condition=models.Q(last_used_at__isnull=True)
                | models.Q(last_used_at__gte=models.F("created_at")),
                name="apitoken_used_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (pn_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def display_prefix(self) -> str:
        return f"{TOKEN_SCHEME}_{self.prefix}_…"
