"""Permissions on every view: non-members and other organisations get 404, wrong roles 403; a
commune sees only its own application and documents; the hub sees no draft; the hub's opinion
is hidden from the commune until the decision."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ami import queries, services
from ami.models import Application, ApplicationStatus
from organisations.models import Membership, Role
from passnum.testing import make_member, make_org, make_user

from .helpers import Kind, municipality, upload

pytestmark = pytest.mark.django_db


def _status(client, user, url, method="get", data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    return getattr(client, method)(url, data or {}).status_code


@pytest.fixture
def filled(world):
    """Pantin submitted with a hub opinion; Montreuil a draft with one document."""
    pantin = world.submitted(world.pantin)
    services.give_hub_opinion(
        pantin, world.hub, verdict="RESERVED", text="Réseau encore mince.", by=world.hub_user
    )
    montreuil = world.application(world.montreuil)
    services.add_document(
        montreuil, world.call.required_documents.first(), upload(), by=world.montreuil.user
    )
    return pantin, montreuil


def test_a_commune_sees_only_its_own_application_and_documents(world, client, filled):
    pantin, montreuil = filled
    m_org, p_org = world.montreuil.organisation.pk, world.pantin.organisation.pk
    doc = pantin.documents.first()
    m_doc = montreuil.documents.first()
    user = world.montreuil.user
    # Montreuil, acting for itself, asks for Pantin's application: 404 everywhere.
    for name, args in [
        ("ami:application", [m_org, pantin.pk]),
        ("ami:receipt", [m_org, pantin.pk]),
        ("ami:document_download", [m_org, pantin.pk, doc.pk]),
        ("ami:application_edit", [m_org, pantin.pk]),
    ]:
        assert _status(client, user, reverse(name, args=args)) == 404, name
    for name, args in [
        ("ami:application_submit", [m_org, pantin.pk]),
        ("ami:document_remove", [m_org, pantin.pk, doc.pk]),
        ("ami:document_upload", [m_org, pantin.pk, world.call.required_documents.first().pk]),
    ]:
        assert _status(client, user, reverse(name, args=args), "post") == 404, name
    # A document of another application under its own application's URL: 404 too.
    url = reverse("ami:document_download", args=[m_org, montreuil.pk, doc.pk])
    assert _status(client, user, url) == 404
    assert (
        _status(
            client, user, reverse("ami:document_download", args=[m_org, montreuil.pk, m_doc.pk])
        )
        == 200
    )
    # Montreuil using Pantin's organisation id: it is not a member, 404.
    assert _status(client, user, reverse("ami:application", args=[p_org, pantin.pk])) == 404
    assert _status(client, user, reverse("ami:calls", args=[p_org])) == 404


def test_non_members_and_anonymous_users(world, client, filled):
    pantin, _ = filled
    stranger = make_user()
    prescriber = make_member(make_org("CCAS", kind=Kind.PRESCRIBER), Role.ADMIN).user
    org = world.pantin.organisation.pk
    urls = [
        reverse("ami:calls", args=[org]),
        reverse("ami:call", args=[org, world.call.pk]),
        reverse("ami:application", args=[org, pantin.pk]),
        reverse("ami:receipt", args=[org, pantin.pk]),
        reverse("ami:document_download", args=[org, pantin.pk, pantin.documents.first().pk]),
        reverse("ami:call_create", args=[world.funder.pk]),
        reverse("ami:call_edit", args=[world.funder.pk, world.call.pk]),
        reverse("ami:hub_opinion", args=[world.hub.pk, pantin.pk]),
    ]
    for url in urls:
        assert _status(client, stranger, url) == 404, url
        assert _status(client, None, url) == 302, url  # to the login page
    prescriber_org = Membership.objects.get(user=prescriber).organisation_id
    assert _status(client, prescriber, reverse("ami:calls", args=[prescriber_org])) == 404
    assert (
        _status(client, prescriber, reverse("ami:call", args=[prescriber_org, world.call.pk]))
        == 404
    )


def test_the_hub_sees_submitted_applications_only(world, client, filled):
    pantin, montreuil = filled
    hub = world.hub.pk
    assert _status(client, world.hub_user, reverse("ami:application", args=[hub, pantin.pk])) == 200
    assert (
        _status(client, world.hub_user, reverse("ami:application", args=[hub, montreuil.pk])) == 404
    )
    url = reverse("ami:document_download", args=[hub, montreuil.pk, montreuil.documents.first().pk])
    assert _status(client, world.hub_user, url) == 404
    url = reverse("ami:document_download", args=[hub, pantin.pk, pantin.documents.first().pk])
    assert _status(client, world.hub_user, url) == 200
    page = client.get(reverse("ami:call", args=[hub, world.call.pk])).content.decode()
    assert f"/candidatures/{pantin.pk}/" in page
    assert f"/candidatures/{montreuil.pk}/" not in page
    # The hub cannot write to the commune's application.
    assert (
        _status(client, world.hub_user, reverse("ami:application_edit", args=[hub, pantin.pk]))
        == 403
    )
    # Another hub sees nothing.
    other_hub = make_member(make_org("Autre hub", kind=Kind.HUB), Role.ADMIN)
    o = other_hub.organisation_id
    assert _status(client, other_hub.user, reverse("ami:call", args=[o, world.call.pk])) == 404
    assert _status(client, other_hub.user, reverse("ami:application", args=[o, pantin.pk])) == 404
    assert _status(client, other_hub.user, reverse("ami:hub_opinion", args=[o, pantin.pk])) == 404


def test_the_hub_opinion_is_hidden_from_the_commune_until_the_decision(world, client, filled):
    pantin, _ = filled
    org = world.pantin.organisation.pk
    url = reverse("ami:application", args=[org, pantin.pk])
    client.force_login(world.pantin.user)
    page = client.get(url).content.decode()
    assert "Réseau encore mince" not in page and "Avis du hub" not in page
    membership = Membership.objects.get(user=world.pantin.user)
    assert not queries.can_see_hub_opinion(membership, pantin)
    # The hub and the funder see it.
    for user, org_id in [(world.hub_user, world.hub.pk), (world.funder_member, world.funder.pk)]:
        client.force_login(user)
        page = client.get(reverse("ami:application", args=[org_id, pantin.pk])).content.decode()
        assert "Réseau encore mince" in page
    # Once decided (the selection app sets the status and the date), the commune reads it.
    Application.objects.filter(pk=pantin.pk).update(
        status=ApplicationStatus.NOT_SELECTED, decided_at=timezone.now()
    )
    pantin.refresh_from_db()
    assert queries.can_see_hub_opinion(membership, pantin)
    client.force_login(world.pantin.user)
    assert "Réseau encore mince" in client.get(url).content.decode()


def test_funder_roles_and_other_funders(world, client, filled):
    pantin, montreuil = filled
    f = world.funder.pk
    # A plain member of the funder reads, but neither creates, edits nor publishes.
    assert _status(client, world.funder_member, reverse("ami:call", args=[f, world.call.pk])) == 200
    assert _status(client, world.funder_member, reverse("ami:call_create", args=[f])) == 403
    assert (
        _status(client, world.funder_member, reverse("ami:call_edit", args=[f, world.call.pk]))
        == 403
    )
    url = reverse("ami:call_publish", args=[f, world.call.pk])
    assert _status(client, world.funder_member, url, "post", {"publier": "0"}) == 403
    # The funder sees submitted applications, not drafts.
    assert (
        _status(client, world.funder_member, reverse("ami:application", args=[f, pantin.pk])) == 200
    )
    assert (
        _status(client, world.funder_member, reverse("ami:application", args=[f, montreuil.pk]))
        == 404
    )
    # The funder does not give the hub's opinion nor edit the application.
    assert (
        _status(client, world.funder_admin, reverse("ami:hub_opinion", args=[f, pantin.pk])) == 403
    )
    assert (
        _status(
            client,
            world.funder_admin,
            reverse("ami:application_submit", args=[f, pantin.pk]),
            "post",
        )
        == 403
    )
    # Another funder sees nothing of this call.
    other = make_member(make_org("Département", kind=Kind.FUNDER), Role.ADMIN)
    o = other.organisation_id
    for name, args in [
        ("ami:call", [o, world.call.pk]),
        ("ami:call_edit", [o, world.call.pk]),
        ("ami:application", [o, pantin.pk]),
        ("ami:document_download", [o, pantin.pk, pantin.documents.first().pk]),
    ]:
        assert _status(client, other.user, reverse(name, args=args)) == 404, name
    assert (
        _status(client, other.user, reverse("ami:call_publish", args=[o, world.call.pk]), "post")
        == 404
    )


def test_read_only_members_of_the_commune_and_the_hub(world, client, filled):
    pantin, montreuil = filled
    reader = make_member(world.montreuil.organisation, Role.READONLY).user
    m = world.montreuil.organisation.pk
    assert _status(client, reader, reverse("ami:application", args=[m, montreuil.pk])) == 200
    assert _status(client, reader, reverse("ami:application_edit", args=[m, montreuil.pk])) == 403
    assert (
        _status(client, reader, reverse("ami:application_submit", args=[m, montreuil.pk]), "post")
        == 403
    )
    doc = montreuil.documents.first()
    assert (
        _status(
            client, reader, reverse("ami:document_remove", args=[m, montreuil.pk, doc.pk]), "post"
        )
        == 403
    )
    req = world.call.required_documents.first()
    assert (
        _status(
            client, reader, reverse("ami:document_upload", args=[m, montreuil.pk, req.pk]), "post"
        )
        == 403
    )
    hub_reader = make_member(world.hub, Role.READONLY).user
    assert (
        _status(client, hub_reader, reverse("ami:hub_opinion", args=[world.hub.pk, pantin.pk]))
        == 403
    )
    # A read-only member of a commune cannot start an application.
    newcomer = municipality("Ville de Bobigny", world.pantin.commune, world.funder)
    ro = make_member(newcomer.organisation, Role.READONLY).user
    Application.objects.filter(pk=pantin.pk)  # unchanged
    url = reverse("ami:apply", args=[newcomer.organisation.pk, world.call.pk])
    assert _status(client, ro, url, "post") == 403
