import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from journal.models import JournalEntry
from organisations import services
from organisations.models import Invitation, Membership, Role
from passnum.testing import PASSWORD, make_member, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "un-mot-de-passe-solide-2021"


def _invite(client, admin, capture, email="nouvelle@exemple.fr", role=Role.MEMBER):
    client.force_login(admin.user)
    with capture(execute=True):
        response = client.post(
            reverse("organisations:members", args=[admin.organisation_id]),
            {"email": email, "role": role},
        )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    link = re.search(r"https?://\S+/organisations/invitation/(\S+)/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    return link.group(1)


def test_invitation_creates_account_and_membership(client, django_capture_on_commit_callbacks):
    admin = make_member(role=Role.ADMIN)
    token = _invite(client, admin, django_capture_on_commit_callbacks)
    assert mail.outbox[-1].to == ["nouvelle@exemple.fr"]
    invitation = Invitation.objects.get()
    assert invitation.token_hash != token  # only the hash is stored

    url = reverse("organisations:accept_invitation", args=[token])
    page = client.get(url)
    assert page.status_code == 200
    assert "Créer votre compte" in page.content.decode()
    response = client.post(
        url,
        {
            "first_name": "Nora",
            "last_name": "Nouvelle",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@exemple.fr")
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert membership.organisation == admin.organisation
    assert membership.role == Role.MEMBER
    assert response["Location"] == reverse("organisations:detail", args=[admin.organisation_id])
    actions = set(JournalEntry.objects.values_list("action", flat=True))
    assert {"MEMBER_INVITED", "INVITATION_ACCEPTED", "MEMBER_ADDED"} <= actions

    # A used link cannot be used again.
    client.logout()
    again = client.get(url)
    assert again.status_code == 410
    assert "déjà été utilisée" in again.content.decode()


def test_expired_invitation_is_refused(client, django_capture_on_commit_callbacks):
    admin = make_member(role=Role.ADMIN)
    token = _invite(client, admin, django_capture_on_commit_callbacks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    url = reverse("organisations:accept_invitation", args=[token])
    response = client.get(url)
    assert response.status_code == 410
    assert "a expiré" in response.content.decode()
    response = client.post(
        url,
        {"first_name": "A", "last_name": "B", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="nouvelle@exemple.fr").exists()


def test_unknown_invitation_token_is_404(client):
    response = client.get(reverse("organisations:accept_invitation", args=["pas-un-jeton"]))
    assert response.status_code == 404


def test_existing_user_accepts_when_logged_in(client, django_capture_on_commit_callbacks):
    admin = make_member(role=Role.ADMIN)
    existing = make_user("deja@exemple.fr")
    token = _invite(
        client,
        admin,
        django_capture_on_commit_callbacks,
        email="deja@exemple.fr",
        role=Role.READONLY,
    )
    url = reverse("organisations:accept_invitation", args=[token])
    assert "Connectez-vous" in client.get(url).content.decode()
    client.login(username="deja@exemple.fr", password=PASSWORD)
    response = client.post(url)
    assert response.status_code == 302
    assert Membership.objects.get(user=existing).role == Role.READONLY


def test_invitation_for_someone_else_is_refused(client, django_capture_on_commit_callbacks):
    admin = make_member(role=Role.ADMIN)
    other = make_user("autre@exemple.fr")
    token = _invite(
        client, admin, django_capture_on_commit_callbacks, email="destinataire@exemple.fr"
    )
    client.force_login(other)
    client.post(reverse("organisations:accept_invitation", args=[token]))
    assert not Membership.objects.filter(user=other).exists()


def test_inviting_an_active_member_is_a_clear_error(client):
    admin = make_member(role=Role.ADMIN)
    client.force_login(admin.user)
    response = client.post(
        reverse("organisations:members", args=[admin.organisation_id]),
        {"email": admin.user.email, "role": Role.MEMBER},
    )
    assert response.status_code == 200
    assert "déjà membre" in response.content.decode()
    assert Invitation.objects.count() == 0


def test_bad_invitation_form_changes_nothing(client):
    admin = make_member(role=Role.ADMIN)
    client.force_login(admin.user)
    response = client.post(
        reverse("organisations:members", args=[admin.organisation_id]),
        {"email": "pas-une-adresse", "role": "CHEF"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Saisissez une adresse de courriel valide" in body
    assert Invitation.objects.count() == 0


def test_soft_deactivation_keeps_history_and_last_admin_is_protected(client):
    admin = make_member(role=Role.ADMIN)
    member = make_member(admin.organisation, Role.MEMBER)
    client.force_login(admin.user)
    url = reverse("organisations:member_update", args=[admin.organisation_id, member.pk])
    client.post(url, {"action": "deactivate"})
    member.refresh_from_db()
    assert not member.is_active and member.deactivated_at is not None
    assert Membership.objects.filter(pk=member.pk).exists()  # kept, not deleted

    own = reverse("organisations:member_update", args=[admin.organisation_id, admin.pk])
    response = client.post(own, {"action": "deactivate"}, follow=True)
    assert "dernier administrateur" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active

    client.post(url, {"action": "reactivate"})
    member.refresh_from_db()
    assert member.is_active and member.deactivated_at is None
    client.post(url, {"action": "role", "role": Role.READONLY})
    member.refresh_from_db()
    assert member.role == Role.READONLY
    assert member.updated_by == admin.user


def test_last_admin_cannot_demote_themselves():
    admin = make_member(role=Role.ADMIN)
    with pytest.raises(services.MembershipError, match="au moins un administrateur"):
        services.change_role(admin, Role.MEMBER, by=admin.user)


def test_members_page_is_paginated(client):
    admin = make_member(role=Role.ADMIN)
    for _ in range(55):
        make_member(admin.organisation, Role.MEMBER)
    client.force_login(admin.user)
    url = reverse("organisations:members", args=[admin.organisation_id])
    body = client.get(url).content.decode()
    assert "Page 1 sur 2" in body
    assert "Page 2 sur 2" in client.get(url + "?page=2").content.decode()
