"""The finance role on the members page: granted and removed by an organisation admin, journaled
with FINANCE_ROLE_CHANGED; only on issuers and funders; not by a non-admin."""

import html

import pytest
from django.urls import reverse

from journal.models import JournalEntry
from organisations import services
from organisations.models import Membership, Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db


def test_admin_grants_and_removes_the_finance_role(client):
    issuer = make_org(kind=Organisation.Kind.ISSUER)
    admin = make_member(issuer, Role.ADMIN)
    target = make_member(issuer, Role.MEMBER)
    client.force_login(admin.user)
    page = html.unescape(
        client.get(reverse("organisations:members", args=[issuer.pk])).content.decode()
    )
    assert "Donner le rôle finance" in page
    url = reverse("organisations:member_update", args=[issuer.pk, target.pk])
    client.post(url, {"action": "finance_on"})
    target.refresh_from_db()
    assert target.is_finance
    entry = JournalEntry.objects.get(action=JournalEntry.Action.FINANCE_ROLE_CHANGED)
    assert entry.details == {"email": target.user.email, "is_finance": True}
    assert entry.actor == admin.user
    page = html.unescape(
        client.get(reverse("organisations:members", args=[issuer.pk])).content.decode()
    )
    assert "Retirer le rôle finance" in page
    client.post(url, {"action": "finance_off"})
    target.refresh_from_db()
    assert not target.is_finance
    assert JournalEntry.objects.filter(action=JournalEntry.Action.FINANCE_ROLE_CHANGED).count() == 2


def test_only_admins_and_only_issuers_or_funders(client):
    issuer = make_org(kind=Organisation.Kind.ISSUER)
    member = make_member(issuer, Role.MEMBER)
    target = make_member(issuer, Role.MEMBER)
    client.force_login(member.user)
    url = reverse("organisations:member_update", args=[issuer.pk, target.pk])
    assert client.post(url, {"action": "finance_on"}).status_code == 403
    client.force_login(make_member(make_org(kind=Organisation.Kind.ISSUER)).user)
    assert client.post(url, {"action": "finance_on"}).status_code == 404
    assert not Membership.objects.get(pk=target.pk).is_finance
    operator = make_org(kind=Organisation.Kind.OPERATOR)
    admin = make_member(operator, Role.ADMIN)
    other = make_member(operator, Role.MEMBER)
    with pytest.raises(services.MembershipError, match="émetteurs et les commanditaires"):
        services.set_finance_role(other, True, by=admin.user)
    client.force_login(admin.user)
    page = html.unescape(
        client.get(reverse("organisations:members", args=[operator.pk])).content.decode()
    )
    assert "rôle finance" not in page
    client.post(
        reverse("organisations:member_update", args=[operator.pk, other.pk]),
        {"action": "finance_on"},
    )
    assert not Membership.objects.get(pk=other.pk).is_finance
    assert not JournalEntry.objects.filter(action=JournalEntry.Action.FINANCE_ROLE_CHANGED).exists()
