"""Writes on organisations, memberships and invitations. Each one is journaled."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from journal.models import JournalEntry
from journal.services import record

from .models import Invitation, Membership, Organisation, Role, hash_token


class MembershipError(Exception):
    """A business rule refused the change; the message is shown to the user as is."""


def _is_last_admin(membership: Membership) -> bool:
    others = Membership.objects.filter(
        organisation=membership.organisation, role=Role.ADMIN, is_active=True
    ).exclude(pk=membership.pk)
    return not others.exists()


@transaction.atomic
def add_member(
    organisation: Organisation, user: User, role: str, *, by: User | None = None, request=None
) -> Membership:
    membership = (
        Membership.objects.select_for_update().filter(organisation=organisation, user=user).first()
    )
    if membership is not None and membership.is_active:
        raise MembershipError(f"{user.email} est déjà membre de {organisation}.")
    if membership is None:
        membership = Membership.objects.create(
            organisation=organisation, user=user, role=role, updated_by=by
        )
    else:
        membership.is_active, membership.deactivated_at = True, None
        membership.role, membership.updated_by = role, by
        membership.save()
    record(
        JournalEntry.Action.MEMBER_ADDED,
        actor=by,
        organisation=organisation,
        obj=membership,
        request=request,
        details={"email": user.email, "role": role},
    )
    return membership


@transaction.atomic
def change_role(membership: Membership, role: str, *, by: User, request=None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Role.values:
        raise MembershipError("Rôle inconnu.")
    if membership.role == Role.ADMIN and role != Role.ADMIN and _is_last_admin(membership):
        raise MembershipError(
            "L'organisation doit garder au moins un administrateur : nommez-en un autre d'abord."
        )
    previous = membership.role
    membership.role, membership.updated_by = role, by
    membership.save(update_fields=["role", "updated_by", "updated_at"])
    record(
        JournalEntry.Action.MEMBER_ROLE_CHANGED,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        request=request,
        details={"email": membership.user.email, "from": previous, "to": role},
    )
    return membership


FINANCE_KINDS = (Organisation.Kind.ISSUER, Organisation.Kind.FUNDER)


@transaction.atomic
def set_finance_role(
    membership: Membership, is_finance: bool, *, by: User, request=None
) -> Membership:
    """Grant or remove the finance role (counter-payments) of an issuer's or funder's member."""
    membership = (
        Membership.objects.select_for_update().select_related("organisation").get(pk=membership.pk)
    )
    if membership.organisation.kind not in FINANCE_KINDS:
        raise MembershipError("Le rôle finance concerne les émetteurs et les commanditaires.")
    if not membership.is_active:
        raise MembershipError("Réactivez d'abord ce membre.")
    if membership.is_finance == is_finance:
        return membership
    membership.is_finance, membership.updated_by = is_finance, by
    membership.save(update_fields=["is_finance", "updated_by", "updated_at"])
    record(
        JournalEntry.Action.FINANCE_ROLE_CHANGED,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        request=request,
        details={"email": membership.user.email, "is_finance": is_finance},
    )
    return membership


@transaction.atomic
def deactivate_member(membership: Membership, *, by: User, request=None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not membership.is_active:
        raise MembershipError("Ce membre est déjà désactivé.")
    if membership.role == Role.ADMIN and _is_last_admin(membership):
        raise MembershipError(
            "Impossible de désactiver le dernier administrateur de l'organisation."
        )
    membership.is_active, membership.deactivated_at = False, timezone.now()
    membership.updated_by = by
    membership.save()
    record(
        JournalEntry.Action.MEMBER_DEACTIVATED,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        request=request,
        details={"email": membership.user.email},
    )
    return membership


@transaction.atomic
def reactivate_member(membership: Membership, *, by: User, request=None) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.is_active:
        raise MembershipError("Ce membre est déjà actif.")
    membership.is_active, membership.deactivated_at, membership.updated_by = True, None, by
    membership.save()
    record(
        JournalEntry.Action.MEMBER_REACTIVATED,
        actor=by,
        organisation=membership.organisation,
        obj=membership,
        request=request,
        details={"email": membership.user.email},
    )
    return membership


def invitation_url(token: str) -> str:
    return settings.SITE_URL + reverse("organisations:accept_invitation", args=[token])


@transaction.atomic
def invite(
    organisation: Organisation, email: str, role: str, *, by: User, request=None
) -> tuple[Invitation, str]:
    """Create an invitation and e-mail its link. Returns the invitation and the clear token."""
    email = email.strip().lower()
    if Membership.objects.filter(
        organisation=organisation, user__email__iexact=email, is_active=True
    ).exists():
        raise MembershipError(f"{email} est déjà membre de {organisation}.")
    token = Invitation.new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email,
        role=role,
        invited_by=by,
        token_hash=hash_token(token),
    )
    record(
        JournalEntry.Action.MEMBER_INVITED,
        actor=by,
        organisation=organisation,
        obj=invitation,
        request=request,
        details={"email": email, "role": role},
    )
    context = {
        "invitation": invitation,
        "url": invitation_url(token),
        "ttl_days": settings.INVITATION_TTL_DAYS,
    }
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Invitation à rejoindre {organisation} sur Passnum",
            message=render_to_string("organisations/email/invitation.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation, token


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, by: User, request=None) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise MembershipError("Cette invitation a déjà été acceptée.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    record(
        JournalEntry.Action.INVITATION_REVOKED,
        actor=by,
        organisation=invitation.organisation,
        obj=invitation,
        request=request,
        details={"email": invitation.email},
    )


class InvitationError(MembershipError):
    pass


def check_invitation_usable(invitation: Invitation | None) -> Invitation:
    if invitation is None:
        raise InvitationError("Ce lien d'invitation n'est pas valide.")
    if invitation.revoked_at is not None:
        raise InvitationError("Cette invitation a été annulée. Demandez-en une nouvelle.")
    if invitation.accepted_at is not None:
        raise InvitationError("Cette invitation a déjà été utilisée. Connectez-vous.")
    if invitation.is_expired:
        raise InvitationError(
            "Ce lien d'invitation a expiré le "
            f"{timezone.localtime(invitation.expires_at):%d/%m/%Y à %H:%M}. "
            "Demandez à l'administrateur de l'organisation de vous inviter à nouveau."
        )
    return invitation


@transaction.atomic
def accept_invitation(
    invitation: Invitation,
    *,
    user: User | None = None,
    new_user_data: dict | None = None,
    request=None,
) -> Membership:
    """Accept an invitation for an existing (logged-in) user, or create the account."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    check_invitation_usable(invitation)
    if user is None:
        data = new_user_data or {}
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationError(
                "Un compte existe déjà pour cette adresse : connectez-vous pour accepter."
            )
        try:
            user = User.objects.create_user(
                email=invitation.email,
                password=data["password"],
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
            )
        except IntegrityError as exc:
            raise InvitationError("Un compte existe déjà pour cette adresse.") from exc
    elif user.email.lower() != invitation.email.lower():
        raise InvitationError(
            f"Cette invitation est adressée à {invitation.email} ; vous êtes connecté(e) en tant "
            f"que {user.email}."
        )
    membership = Membership.objects.filter(
        organisation=invitation.organisation, user=user, is_active=True
    ).first() or add_member(
        invitation.organisation, user, invitation.role, by=invitation.invited_by, request=request
    )
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    record(
        JournalEntry.Action.INVITATION_ACCEPTED,
        actor=user,
        organisation=invitation.organisation,
        obj=invitation,
        request=request,
    )
    return membership


@transaction.atomic
def update_organisation(form, *, by: User, request=None) -> Organisation:
    """Save an OrganisationForm and journal which fields changed (values for non-files)."""
    organisation = form.save()
    changed = {
        field: ("(fichier)" if field == "logo" else str(form.cleaned_data.get(field) or ""))
        for field in form.changed_data
    }
    if changed:
        record(
            JournalEntry.Action.ORGANISATION_UPDATED,
            actor=by,
            organisation=organisation,
            obj=organisation,
            request=request,
            details={"changed": changed},
        )
    return organisation
