"""Pydantic schemas of the API. Field descriptions are in French: they document the API."""

from datetime import datetime

from ninja import Field, Schema

from organisations.models import Membership, Organisation, Role


class ErrorOut(Schema):
    detail: str = Field(description="Message d'erreur, en français.")


class ValidationErrorItem(Schema):
    loc: list[str | int] = Field(description="Emplacement du paramètre en cause.")
    type: str = Field(description="Code de l'erreur (stable, pour les programmes).")
    message: str = Field(description="Explication, en français.")


class ValidationErrorOut(Schema):
    detail: str = Field(description="Message d'erreur, en français.")
    errors: list[ValidationErrorItem] = Field(description="Détail des paramètres refusés.")


KIND_HELP = "Type d'organisation : " + ", ".join(
    f"{value} ({label.lower()})" for value, label in Organisation.Kind.choices
)
ROLE_HELP = "Rôle dans l'organisation : " + ", ".join(
    f"{value} ({label.lower()})" for value, label in Role.choices
)


class OrganisationRef(Schema):
    id: int = Field(description="Identifiant de l'organisation.")
    name: str = Field(description="Nom de l'organisation.")
    kind: Organisation.Kind = Field(description=KIND_HELP + ".")
    kind_label: str = Field(description="Type d'organisation, en clair.")

    @staticmethod
    def resolve_kind_label(obj: Organisation) -> str:
        return obj.get_kind_display()


class MembershipOut(Schema):
    organisation: OrganisationRef = Field(description="L'organisation.")
    role: Role = Field(description=ROLE_HELP + ".")
    role_label: str = Field(description="Rôle, en clair.")
    since: datetime = Field(description="Date d'entrée dans l'organisation.")

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_since(obj: Membership) -> datetime:
        return obj.created_at


class MeOut(Schema):
    id: int = Field(description="Identifiant de l'utilisateur.")
    email: str = Field(description="Adresse e-mail, qui sert d'identifiant de connexion.")
    first_name: str = Field(description="Prénom (peut être vide).")
    last_name: str = Field(description="Nom (peut être vide).")
    memberships: list[MembershipOut] = Field(
        description="Adhésions actives, dans des organisations actives."
    )


class MyOrganisationOut(OrganisationRef):
    """An organisation seen from one of its members (built from the membership)."""

    role: Role = Field(description="Votre rôle. " + ROLE_HELP + ".")
    role_label: str = Field(description="Votre rôle, en clair.")

    @staticmethod
    def resolve_id(obj: Membership) -> int:
        return obj.organisation_id

    @staticmethod
    def resolve_name(obj: Membership) -> str:
        return obj.organisation.name

    @staticmethod
    def resolve_kind(obj: Membership) -> str:
        return obj.organisation.kind

    @staticmethod
    def resolve_kind_label(obj: Membership) -> str:
        return obj.organisation.get_kind_display()

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return obj.get_role_display()


class CommuneRef(Schema):
    insee_code: str = Field(description="Code INSEE de la commune ou de l'arrondissement.")
    name: str = Field(description="Nom de la commune.")


class OrganisationOut(OrganisationRef):
    legal_category: Organisation.LegalCategory = Field(
        description="Catégorie juridique : "
        + ", ".join(f"{v} ({label.lower()})" for v, label in Organisation.LegalCategory.choices)
        + "."
    )
    legal_category_label: str = Field(description="Catégorie juridique, en clair.")
    siret: str | None = Field(description="Numéro SIRET (14 chiffres), s'il est connu.")
    address: str = Field(description="Adresse postale (peut être vide).")
    postal_code: str = Field(description="Code postal (peut être vide).")
    city: str = Field(description="Ville (peut être vide).")
    commune: CommuneRef | None = Field(description="Commune de rattachement, si elle est connue.")
    parent: OrganisationRef | None = Field(description="Organisation parente, s'il y en a une.")
    email: str = Field(description="E-mail de contact (peut être vide).")
    phone: str = Field(description="Téléphone (peut être vide).")
    website: str = Field(description="Site web (peut être vide).")
    created_at: datetime = Field(description="Date de création dans Passnum.")
    role: Role = Field(description="Votre rôle. " + ROLE_HELP + ".")
    role_label: str = Field(description="Votre rôle, en clair.")

    # The endpoint sets ``role`` on the organisation from the caller's membership.
    @staticmethod
    def resolve_role_label(obj: Organisation) -> str:
        return Role(obj.role).label

    @staticmethod
    def resolve_legal_category_label(obj: Organisation) -> str:
        return obj.get_legal_category_display()


class MemberOut(Schema):
    user_id: int = Field(description="Identifiant de l'utilisateur.")
    email: str = Field(description="Adresse e-mail du membre.")
    first_name: str = Field(description="Prénom (peut être vide).")
    last_name: str = Field(description="Nom (peut être vide).")
    role: Role = Field(description=ROLE_HELP + ".")
    role_label: str = Field(description="Rôle, en clair.")
    since: datetime = Field(description="Date d'entrée dans l'organisation.")

    @staticmethod
    def resolve_email(obj: Membership) -> str:
        return obj.user.email

    @staticmethod
    def resolve_first_name(obj: Membership) -> str:
        return obj.user.first_name

    @staticmethod
    def resolve_last_name(obj: Membership) -> str:
        return obj.user.last_name

    @staticmethod
    def resolve_role_label(obj: Membership) -> str:
        return obj.get_role_display()

    @staticmethod
    def resolve_since(obj: Membership) -> datetime:
        return obj.created_at
