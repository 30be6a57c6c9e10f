"""A member of organisation A never sees nor changes organisation B's pages."""

import pytest
from django.urls import reverse

from organisations.models import Invitation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_orgs():
    alice = make_member(make_org("Centre social A"), Role.ADMIN)
    bob = make_member(make_org("CCAS B"), Role.ADMIN)
    return alice, bob


@pytest.mark.parametrize("name", ["detail", "members", "journal"])
def test_member_of_a_gets_404_on_b_pages(client, two_orgs, name):
    alice, bob = two_orgs
    client.force_login(alice.user)
    response = client.get(reverse(f"organisations:{name}", args=[bob.organisation_id]))
    assert response.status_code == 404
    own = client.get(reverse(f"organisations:{name}", args=[alice.organisation_id]))
    assert own.status_code == 200


def test_member_of_a_cannot_change_b_members(client, two_orgs):
    alice, bob = two_orgs
    client.force_login(alice.user)
    url = reverse("organisations:member_update", args=[bob.organisation_id, bob.pk])
    assert client.post(url, {"action": "deactivate"}).status_code == 404
    # Nor by pointing at B's membership through A's URL.
    url = reverse("organisations:member_update", args=[alice.organisation_id, bob.pk])
    assert client.post(url, {"action": "deactivate"}).status_code == 404
    bob.refresh_from_db()
    assert bob.is_active


def test_member_of_a_cannot_invite_into_b_nor_revoke_b_invitations(client, two_orgs):
    alice, bob = two_orgs
    invitation = Invitation.objects.create(
        organisation=bob.organisation,
        email="x@exemple.fr",
        invited_by=bob.user,
        token_hash="h" * 64,
    )
    client.force_login(alice.user)
    response = client.post(
        reverse("organisations:members", args=[bob.organisation_id]),
        {"email": "intrus@exemple.fr", "role": Role.ADMIN},
    )
    assert response.status_code == 404
    response = client.post(
        reverse("organisations:invitation_revoke", args=[bob.organisation_id, invitation.pk])
    )
    assert response.status_code == 404
    response = client.post(
        reverse("organisations:invitation_revoke", args=[alice.organisation_id, invitation.pk])
    )
    assert response.status_code == 404
    assert Invitation.objects.filter(email="intrus@exemple.fr").count() == 0
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_switching_to_an_organisation_of_which_one_is_not_member_is_refused(client, two_orgs):
    alice, bob = two_orgs
    client.force_login(alice.user)
    response = client.post(reverse("organisations:switch"), {"organisation": bob.organisation_id})
    assert response.status_code == 404


def test_deactivated_member_loses_access(client):
    membership = make_member(role=Role.MEMBER)
    make_member(membership.organisation, Role.ADMIN)
    membership.is_active = False
    from django.utils import timezone

    membership.deactivated_at = timezone.now()
    membership.save()
    client.force_login(membership.user)
    url = reverse("organisations:detail", args=[membership.organisation_id])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("role", [Role.MEMBER, Role.READONLY])
def test_non_admins_cannot_manage_members_nor_read_the_journal(client, role):
    membership = make_member(role=role)
    admin = make_member(membership.organisation, Role.ADMIN)
    client.force_login(membership.user)
    org_id = membership.organisation_id
    assert client.get(reverse("organisations:members", args=[org_id])).status_code == 200
    assert client.get(reverse("organisations:journal", args=[org_id])).status_code == 403
    response = client.post(
        reverse("organisations:members", args=[org_id]), {"email": "n@exemple.fr", "role": "ADMIN"}
    )
    assert response.status_code == 403
    response = client.post(
        reverse("organisations:member_update", args=[org_id, admin.pk]), {"action": "deactivate"}
    )
    assert response.status_code == 403


def test_anonymous_is_sent_to_login(client):
    org = make_org()
    response = client.get(reverse("organisations:detail", args=[org.pk]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
