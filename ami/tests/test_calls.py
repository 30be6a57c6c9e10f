"""The call, managed by the funder's admins: defaults from the seed, sanitised body, Paris
dates, publication, journal; the queries the selection app uses."""

import pytest
from django.urls import reverse

from ami import queries, services
from ami.models import Call, Criterion, RequiredDocument
from journal.models import JournalEntry
from passnum.testing import make_member, make_org

from .helpers import DEADLINE, Kind, snapshot

pytestmark = pytest.mark.django_db


def _form_data(client, url) -> dict:
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if hasattr(value, "pk"):
            value = value.pk
        data[name] = "" if value is None else value
    return data


def test_the_new_call_form_offers_the_seed_s_defaults(world, client):
    client.force_login(world.funder_admin)
    response = client.get(reverse("ami:call_create", args=[world.funder.pk]))
    form = response.context["form"]
    criteria = form["criteria"].value()
    for criterion in services.DEFAULT_CRITERIA:
        assert criterion in criteria
    assert "Courrier signé du Maire" in form["required_documents"].value()
    assert form["eligible_communes"].value() and "93055" in str(
        form.fields["eligible_communes"].prepare_value(form["eligible_communes"].value())
    )
    excluded = form.fields["excluded_communes"].prepare_value(form["excluded_communes"].value())
    assert excluded == "93001"
    assert form["hub"].value() == world.hub.pk


def test_the_funder_creates_a_call_and_the_body_is_sanitised(world, client):
    client.force_login(world.funder_admin)
    url = reverse("ami:call_create", args=[world.funder.pk])
    data = _form_data(client, url)
    data.update(
        title="3e édition",
        body=(
            '<h2>Objet</h2><p onclick="alert(1)">Texte <strong>important</strong>'
            '<script>alert("x")</script></p><a href="javascript:alert(1)">piège</a>'
            '<a href="https://exemple.fr">site</a><img src=x onerror=alert(1)><iframe></iframe>'
        ),
        opens_at="01/11/2021 09:00",
        deadline="15/12/2021 20:00",
        eligible_communes="93055 93048",
        excluded_communes="",
        required_documents="Dossier — complet\nAnnexe financière (facultatif)",
        criteria="Qualité du diagnostic\nAdéquation",
        max_document_megabytes=5,
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    call = Call.objects.get(title="3e édition")
    assert "<script" not in call.body and "alert" not in call.body
    assert "onclick" not in call.body and "javascript:" not in call.body
    assert "<img" not in call.body and "<iframe" not in call.body
    assert "<h2>Objet</h2>" in call.body and "<strong>important</strong>" in call.body
    assert 'href="https://exemple.fr"' in call.body
    assert not call.is_published
    assert call.max_document_bytes == 5 * 1024 * 1024
    assert list(call.required_documents.values_list("label", "help_text", "is_mandatory")) == [
        ("Dossier", "complet", True),
        ("Annexe financière", "", False),
    ]
    assert list(call.criteria.values_list("label", flat=True)) == [
        "Qualité du diagnostic",
        "Adéquation",
    ]
    assert sorted(call.eligible_communes.values_list("pk", flat=True)) == ["93048", "93055"]
    assert JournalEntry.objects.filter(action=JournalEntry.Action.CALL_CREATED).count() == 2
    page = client.get(reverse("ami:call", args=[world.funder.pk, call.pk])).content.decode()
    assert "<strong>important</strong>" in page and "<script>alert" not in page
    assert "15/12/2021 à 20:00" in page
    # A commune does not see it until it is published.
    client.force_login(world.pantin.user)
    url = reverse("ami:call", args=[world.pantin.organisation.pk, call.pk])
    assert client.get(url).status_code == 404
    client.force_login(world.funder_admin)
    client.post(reverse("ami:call_publish", args=[world.funder.pk, call.pk]), {"publier": "1"})
    assert JournalEntry.objects.filter(action=JournalEntry.Action.CALL_PUBLISHED).count() == 2
    client.force_login(world.pantin.user)
    assert client.get(url).status_code == 200


def test_a_script_stored_behind_the_form_s_back_is_removed_at_display(world, client):
    Call.objects.filter(pk=world.call.pk).update(body="<p>ok</p><script>alert(1)</script>")
    client.force_login(world.pantin.user)
    page = client.get(reverse("ami:call", args=[world.pantin.organisation.pk, world.call.pk]))
    assert "<script>alert(1)</script>" not in page.content.decode()


def test_bad_call_forms_change_nothing(world, client):
    client.force_login(world.funder_admin)
    url = reverse("ami:call_edit", args=[world.funder.pk, world.call.pk])
    data = _form_data(client, url)
    before = snapshot(), Call.objects.values_list("title", "deadline").get()
    for bad in [
        {"deadline": "32/10/2021 20:00"},
        {"deadline": "01/09/2021 20:00"},  # before the opening
        {"eligible_communes": "93055 99999"},
        {"eligible_communes": "abc"},
        {"criteria": ""},
        {"title": ""},
    ]:
        response = client.post(url, {**data, **bad, "title": bad.get("title", "Changé")})
        assert response.status_code == 200
        assert "Rien n'a été enregistré" in response.content.decode()
    assert (snapshot(), Call.objects.values_list("title", "deadline").get()) == before


def test_documents_and_criteria_are_frozen_once_a_commune_has_applied(world, client):
    world.application()
    client.force_login(world.funder_admin)
    url = reverse("ami:call_edit", args=[world.funder.pk, world.call.pk])
    data = _form_data(client, url)
    response = client.post(url, {**data, "criteria": "Un seul critère"}, follow=True)
    assert "ne peuvent plus être modifiés" in response.content.decode()
    assert Criterion.objects.filter(call=world.call).count() == 5
    # Other fields may still change (e.g. the contact address).
    response = client.post(url, {**data, "contact_email": "ami@exemple.fr"})
    assert response.status_code == 302
    world.call.refresh_from_db()
    assert world.call.contact_email == "ami@exemple.fr"
    assert world.call.deadline == DEADLINE
    assert RequiredDocument.objects.filter(call=world.call).count() == 3
    # And the call cannot be unpublished any more.
    with pytest.raises(services.AmiRefused):
        services.set_published(world.call, False, by=world.funder_admin)


def test_calls_for_each_kind_of_organisation(world):
    assert list(queries.calls_for_organisation(world.funder)) == [world.call]
    assert list(queries.calls_for_organisation(world.hub)) == [world.call]
    assert list(queries.calls_for_organisation(world.pantin.organisation)) == [world.call]
    # The excluded commune sees the call (to read why it cannot apply); the outsider does not.
    assert list(queries.calls_for_organisation(world.excluded.organisation)) == [world.call]
    assert list(queries.calls_for_organisation(world.outsider.organisation)) == []
    assert list(queries.calls_for_organisation(make_org("Autre", kind=Kind.FUNDER))) == []
    assert list(queries.calls_for_organisation(make_org("Op", kind=Kind.OPERATOR))) == []
    services.set_published(world.call, False, by=world.funder_admin)
    assert list(queries.calls_for_organisation(world.funder)) == [world.call]
    assert list(queries.calls_for_organisation(world.hub)) == []
    assert list(queries.calls_for_organisation(world.pantin.organisation)) == []


def test_get_call_for_member_or_404_with_and_without_organisation(world):
    from django.http import Http404

    call, membership = queries.get_call_for_member_or_404(world.pantin.user, world.call.pk)
    assert call == world.call and membership.organisation == world.pantin.organisation
    call, membership = queries.get_call_for_member_or_404(
        world.hub_user, world.call.pk, world.hub.pk
    )
    assert membership.organisation == world.hub
    with pytest.raises(Http404):
        queries.get_call_for_member_or_404(world.outsider.user, world.call.pk)
    with pytest.raises(Http404):
        queries.get_call_for_member_or_404(world.hub_user, world.call.pk, world.funder.pk)
    both = make_member(world.funder).user
    make_member(world.pantin.organisation, user=both)
    _, membership = queries.get_call_for_member_or_404(both, world.call.pk)
    assert membership.organisation == world.funder


def test_submitted_applications(world):
    submitted = world.submitted(world.montreuil)
    world.application(world.pantin)
    rows = list(queries.submitted_applications(world.call))
    assert rows == [submitted]
    assert rows[0].commune.name == "Montreuil" and rows[0].municipality.name


def test_pages_and_workspace_links(world, client, django_assert_max_num_queries):
    world.submitted(world.montreuil)
    world.application(world.pantin)
    for user, org, link in [
        (world.funder_admin, world.funder, "Appels à manifestation d'intérêt"),
        (world.pantin.user, world.pantin.organisation, "Candidater à un AMI"),
        (world.hub_user, world.hub, "Avis sur les candidatures"),
    ]:
        client.force_login(user)
        workspace = client.get(reverse("organisations:detail", args=[org.pk])).content.decode()
        assert link in workspace and reverse("ami:calls", args=[org.pk]) in workspace
        assert client.get(reverse("ami:calls", args=[org.pk])).status_code == 200
        with django_assert_max_num_queries(30):
            page = client.get(reverse("ami:call", args=[org.pk, world.call.pk]))
        assert page.status_code == 200
    client.force_login(world.funder_admin)
    page = client.get(reverse("ami:call", args=[world.funder.pk, world.call.pk])).content.decode()
    assert "1 brouillon en cours · 1 déposée" in page
    assert "3 / 3" in page and "0 / 3" in page


def test_empty_states(db, client, during_call):
    funder = make_org("Département", kind=Kind.FUNDER)
    admin = make_member(funder).user
    client.force_login(admin)
    page = client.get(reverse("ami:calls", args=[funder.pk])).content.decode()
    assert "Aucun appel pour l'instant." in page
    response = client.get(reverse("ami:call_create", args=[funder.pk]), follow=True)
    assert "Créez d&#x27;abord un programme" in response.content.decode()
