"""Reads of the operators' onboarding, and the permission helpers of its pages."""

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from organisations.models import Membership, Organisation, Role
from organisations.queries import get_admin_membership_or_404, get_membership, get_membership_or_404

from .models import BankAccount, OperatorDocument, OperatorProfile, Qualification

REVIEWER_KINDS = (Organisation.Kind.ISSUER, Organisation.Kind.FUNDER)


def operator_membership_or_404(user, organisation_id: int, roles=None) -> Membership:
    """The user's membership of an OPERATOR organisation (404 for any other kind)."""
    membership = get_membership_or_404(user, organisation_id, roles=roles)
    if membership.organisation.kind != Organisation.Kind.OPERATOR:
        raise Http404("Cette organisation n'est pas un opérateur.")
    return membership


def reviewer_membership_or_404(user, organisation_id: int) -> Membership:
    """An admin's membership of an ISSUER or FUNDER organisation: the reviewers and finance."""
    membership = get_membership_or_404(user, organisation_id)
    if membership.organisation.kind not in REVIEWER_KINDS:
        raise Http404("Cette organisation n'examine pas les candidatures.")
    return get_admin_membership_or_404(user, organisation_id)


def is_finance_reviewer(user) -> bool:
    """An active admin of an issuer or a funder."""
    if not user.is_authenticated:
        return False
    return Membership.active.filter(
        user=user, role=Role.ADMIN, organisation__kind__in=REVIEWER_KINDS
    ).exists()


def can_see_bank_details(user, operator: Organisation) -> bool:
    """Bank details: that operator's admins and the issuer's/funders' admins, nobody else."""
    membership = get_membership(user, operator.pk)
    if membership is not None and membership.role == Role.ADMIN:
        return True
    return is_finance_reviewer(user)


def profile_of(operator: Organisation) -> OperatorProfile | None:
    return (
        OperatorProfile.objects.filter(organisation=operator).select_related("decided_by").first()
    )


def current_bank_account(operator: Organisation) -> BankAccount | None:
    return BankAccount.objects.filter(operator=operator).select_related("created_by").first()


def bank_history(operator: Organisation) -> QuerySet[BankAccount]:
    return BankAccount.objects.filter(operator=operator).select_related("created_by")


def bank_change_needs_2fa(operator: Organisation, profile: OperatorProfile | None) -> bool:
    """Changing recorded details, or any details once a reviewer has decided, needs 2FA."""
    if profile is not None and profile.decided_at is not None:
        return True
    return BankAccount.objects.filter(operator=operator).exists()


def documents_of(operator: Organisation) -> QuerySet[OperatorDocument]:
    return OperatorDocument.objects.filter(operator=operator).select_related("uploaded_by")


def missing_items(operator: Organisation, profile: OperatorProfile | None) -> list[str]:
    """What the application still lacks, in French, for the operator and the reviewers."""
    missing = []
    if not operator.siret:
        missing.append("le SIRET")
    if profile is None or not profile.legal_representative_name:
        missing.append("le représentant légal")
    if not BankAccount.objects.filter(operator=operator).exists():
        missing.append("les coordonnées bancaires")
    kinds = set(documents_of(operator).values_list("kind", flat=True))
    if OperatorDocument.Kind.RIB not in kinds:
        missing.append("le RIB")
    if OperatorDocument.Kind.STATUTES not in kinds:
        missing.append("les statuts")
    if (
        operator.legal_category == Organisation.LegalCategory.PUBLIC
        and OperatorDocument.Kind.REGIE_ACT not in kinds
    ):
        missing.append("l'acte constitutif de la régie")
    if profile is None or not profile.questionnaire:
        missing.append("le questionnaire de qualification")
    return missing


def application_queue(*, status: str = "", search: str = "") -> QuerySet[OperatorProfile]:
    """The operators' applications, to review first (submitted, in review), then the others."""
    qs = OperatorProfile.objects.select_related("organisation", "decided_by").annotate(
        document_count=Count("organisation__operator_documents", distinct=True),
        has_bank=Exists(BankAccount.objects.filter(operator=OuterRef("organisation"))),
    )
    if status in {value for value, _ in Qualification.choices}:
        qs = qs.filter(qualification=status)
    search = search.strip()
    if search:
        qs = qs.filter(
            Q(organisation__name__icontains=search)
            | Q(organisation__siret__startswith="".join(search.split()))
            | Q(reference_number__icontains=search)
        )
    return qs.order_by(F("submitted_at").desc(nulls_last=True), "organisation__name", "pk")


def application_or_404(profile_id: int) -> OperatorProfile:
    profile = (
        OperatorProfile.objects.select_related("organisation", "decided_by")
        .filter(pk=profile_id)
        .first()
    )
    if profile is None:
        raise Http404("Candidature introuvable.")
    return profile
