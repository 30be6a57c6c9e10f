import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from .validators import validate_logo, validate_siret


class Organisation(models.Model):
    """Every actor of a programme is an organisation; passes move between them."""

    class Kind(models.TextChoices):
        FUNDER = "FUNDER", "Commanditaire"
        MUNICIPALITY = "MUNICIPALITY", "Collectivité"
        HUB = "HUB", "Hub territorial"
        PRESCRIBER = "PRESCRIBER", "Structure prescriptrice"
        OPERATOR = "OPERATOR", "Opérateur de médiation numérique"
        ISSUER = "ISSUER", "Émetteur des pass"

    class LegalCategory(models.TextChoices):
        ASSOCIATION = "ASSOCIATION", "Association"
        PUBLIC = "PUBLIC", "Personne publique"
        COMPANY = "COMPANY", "Entreprise"
        OTHER = "OTHER", "Autre"

    kind = models.CharField("type", max_length=12, choices=Kind.choices)
    name = models.CharField("nom", max_length=200)
    siret = models.CharField(
        "SIRET", max_length=14, null=True, blank=True, unique=True, validators=[validate_siret]
    )
    legal_category = models.CharField(
        "catégorie juridique",
        max_length=11,
        choices=LegalCategory.choices,
        default=LegalCategory.OTHER,
    )
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("ville", max_length=150, blank=True)
    commune = models.ForeignKey(
        "geo.Commune",
        verbose_name="commune (code INSEE)",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="organisation parente",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    email = models.EmailField("e-mail de contact", blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    website = models.URLField("site web", blank=True)
    brand_colour = models.CharField(
        "couleur de la charte",
        max_length=7,
        blank=True,
        help_text="Couleur principale au format #RRGGBB, utilisée pour l'habillage.",
    )
    logo = models.FileField(
        "logo",
        upload_to="logos/",
        blank=True,
        validators=[validate_logo],
        help_text="PNG, JPEG ou WebP, 500 Ko au plus. Affiché dans l'en-tête des pages.",
    )
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "organisation"
        verbose_name_plural = "organisations"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=["FUNDER", "MUNICIPALITY", "HUB", "PRESCRIBER", "OPERATOR", "ISSUER"]
                ),
                name="organisation_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    legal_category__in=["ASSOCIATION", "PUBLIC", "COMPANY", "OTHER"]
                ),
                name="organisation_legal_category_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(siret__isnull=True) | models.Q(siret__regex=r"^[0-9]{14}$"),
                name="organisation_siret_format",
            ),
            models.CheckConstraint(
                condition=models.Q(brand_colour="")
                | models.Q(brand_colour__regex=r"^#[0-9a-fA-F]{6}$"),
                name="organisation_brand_colour_format",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("pk")), name="organisation_not_own_parent"
            ),
        ]
        indexes = [models.Index(fields=["kind", "name"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.siret == "":
            self.siret = None
        super().save(*args, **kwargs)

    def ancestors(self) -> list["Organisation"]:
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain

    @property
    def funder(self) -> "Organisation | None":
        """The funder whose look this organisation's pages take (itself or its nearest ancestor)."""
        for org in [self, *self.ancestors()]:
            if org.kind == self.Kind.FUNDER:
                return org
        return None


class Role(models.TextChoices):
    ADMIN = "ADMIN", "Administrateur"
    MEMBER = "MEMBER", "Membre"
    READONLY = "READONLY", "Lecture seule"


class ActiveMembershipManager(models.Manager["Membership"]):
    def get_queryset(self) -> models.QuerySet["Membership"]:
        return super().get_queryset().filter(is_active=True, organisation__is_active=True)


class Membership(models.Model):
    """A user's role in an organisation. Deactivated, never deleted, so history stays."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="utilisateur",
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name="organisation",
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    role = models.CharField("rôle", max_length=8, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField("active", default=True)
    is_finance = models.BooleanField(
        "rôle finance",
        default=False,
        help_text=(
            "Prépare et valide les contre-paiements. Exige l'authentification à deux facteurs."
        ),
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    deactivated_at = models.DateTimeField("désactivée le", null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="modifiée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = models.Manager()
    active = ActiveMembershipManager()

    class Meta:
        verbose_name = "adhésion"
        verbose_name_plural = "adhésions"
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["ADMIN", "MEMBER", "READONLY"]),
                name="membership_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(is_active=True, deactivated_at__isnull=True)
                | models.Q(is_active=False, deactivated_at__isnull=False),
                name="membership_deactivation_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.MEMBER)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def default_invitation_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


class Invitation(models.Model):
    """An e-mailed invitation to join an organisation. Only the token's hash is stored."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invitations"
    )
    email = models.EmailField("adresse e-mail")
    role = models.CharField("rôle", max_length=8, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("envoyée le", auto_now_add=True)
    expires_at = models.DateTimeField("expire le", default=default_invitation_expiry)
    accepted_at = models.DateTimeField("acceptée le", null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField("annulée le", null=True, blank=True)

    class Meta:
        verbose_name = "invitation"
        verbose_name_plural = "invitations"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["ADMIN", "MEMBER", "READONLY"]),
                name="invitation_role_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True, accepted_by__isnull=True)
                | models.Q(accepted_at__isnull=False, accepted_by__isnull=False),
                name="invitation_acceptance_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation de {self.email} à {self.organisation}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    def email_has_account(self) -> bool:
        from accounts.models import User

        return User.objects.filter(email__iexact=self.email).exists()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired
