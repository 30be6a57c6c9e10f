"""Every refusal gives a clear French message and leaves nothing behind: no row, no journal
entry, no stored file."""

import pytest
from django.urls import reverse

from ami import services
from ami.models import Application, ApplicationStatus
from passnum.testing import make_org

from .helpers import Kind, municipality, pdf_bytes, snapshot, upload

pytestmark = pytest.mark.django_db


def _apply(client, world, who):
    client.force_login(who.user)
    return client.post(
        reverse("ami:apply", args=[who.organisation.pk, world.call.pk]), follow=True
    ).content.decode()


def test_an_excluded_commune_cannot_apply(world, client):
    before = snapshot()
    page = _apply(client, world, world.excluded)
    assert (
        "Votre commune est déjà territoire d&#x27;expérimentation du programme : "
        "l&#x27;appel est réservé aux nouvelles communes." in page
    )
    assert snapshot() == before
    # The call page already says it, and offers no button.
    page = client.get(reverse("ami:call", args=[world.excluded.organisation.pk, world.call.pk]))
    assert "réservé aux nouvelles communes" in page.content.decode()
    assert "Créer la candidature" not in page.content.decode()


def test_a_commune_outside_the_perimeter_does_not_even_see_the_call(world, client):
    before = snapshot()
    client.force_login(world.outsider.user)
    url = reverse("ami:apply", args=[world.outsider.organisation.pk, world.call.pk])
    assert client.post(url).status_code == 404
    with pytest.raises(services.AmiRefused, match="ne fait pas partie des communes éligibles"):
        services.create_application(world.call, world.outsider.organisation, by=world.outsider.user)
    assert snapshot() == before


def test_a_second_application_is_refused_citing_the_rule(world, client):
    world.application()
    before = snapshot()
    page = _apply(client, world, world.pantin)
    assert "une seule candidature par commune et par appel" in page
    assert snapshot() == before


def test_another_organisation_of_the_same_commune_is_refused(world):
    world.application()
    twin = municipality("Mairie de Pantin (doublon)", world.pantin.commune, world.funder)
    before = snapshot()
    with pytest.raises(services.AmiRefused, match="une seule candidature par commune"):
        services.create_application(world.call, twin.organisation, by=twin.user)
    assert snapshot() == before


def test_a_non_municipality_cannot_apply(world):
    prescriber = make_org("CCAS", kind=Kind.PRESCRIBER, commune=world.pantin.commune)
    before = snapshot()
    with pytest.raises(services.AmiRefused, match="Seules les collectivités"):
        services.create_application(world.call, prescriber, by=world.pantin.user)
    assert snapshot() == before


def test_an_unpublished_call_refuses_applications(world):
    services.set_published(world.call, False, by=world.funder_admin)
    before = snapshot()
    with pytest.raises(services.AmiRefused, match="pas publié"):
        services.create_application(world.call, world.pantin.organisation, by=world.pantin.user)
    assert snapshot() == before


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.txt", b"Bonjour, voici notre dossier.", "Seuls les fichiers PDF"),
        ("programme.exe.pdf", EXE, "n&#x27;est pas un PDF"),
        ("dossier.pdf", b"%PDF-1.7\nceci n'est pas un vrai PDF\n%%EOF", "illisible ou endommagé"),
        ("dossier.pdf", pdf_bytes("gros", pages=1) + b"%" + b"x" * 3 * 1024 * 1024, "au plus"),
        ("vide.pdf", b"", "vide"),
    ],
    ids=["not-pdf", "renamed-exe", "broken-pdf", "oversized", "empty"],
)
def test_bad_documents_are_refused_and_nothing_is_stored(world, client, name, content, message):
    application = world.application()
    required = world.call.required_documents.first()
    before = snapshot()
    client.force_login(world.pantin.user)
    url = reverse(
        "ami:document_upload", args=[world.pantin.organisation.pk, application.pk, required.pk]
    )
    page = client.post(url, {"file": upload(name, content)}, follow=True).content.decode()
    assert message in page
    assert snapshot() == before


def test_the_size_limit_is_the_call_s(world):
    world.call.max_document_bytes = 2048
    world.call.save()
    application = world.application()
    before = snapshot()
    with pytest.raises(services.AmiRefused, match="2 Ko|0 Mo|au plus"):
        services.add_document(
            application,
            world.call.required_documents.first(),
            upload("dossier.pdf", pdf_bytes(pages=3) + b"%" + b"x" * 3000),
            by=world.pantin.user,
        )
    assert snapshot() == before


def test_submission_lists_what_is_missing_and_changes_nothing(world, client):
    application = world.application(inclusion_issues="Des démarches abandonnées.")
    services.add_document(
        application, world.call.required_documents.first(), upload(), by=world.pantin.user
    )
    before = snapshot()
    client.force_login(world.pantin.user)
    url = reverse("ami:application_submit", args=[world.pantin.organisation.pk, application.pk])
    page = client.post(url, follow=True).content.decode()
    assert "il manque des éléments" in page
    assert "Pièce manquante : Courrier signé du Maire" in page
    assert "Pièce manquante : Délibération ou projet de délibération" in page
    assert "Rubrique à remplir : Nombre de carnets souhaités" in page
    assert "Problématiques d&#x27;inclusion" not in page.split("il manque")[1].split("</p>")[0]
    assert snapshot() == before
    assert Application.objects.get().status == ApplicationStatus.DRAFT


def test_a_submitted_application_is_read_only(world, client):
    application = world.submitted()
    before = snapshot()
    org = world.pantin.organisation.pk
    client.force_login(world.pantin.user)
    required = world.call.required_documents.first()
    document = application.documents.first()
    client.post(
        reverse("ami:application_edit", args=[org, application.pk]),
        {"inclusion_issues": "Modifié après coup"},
    )
    client.post(
        reverse("ami:document_upload", args=[org, application.pk, required.pk]),
        {"file": upload()},
    )
    client.post(reverse("ami:document_remove", args=[org, application.pk, document.pk]))
    client.post(reverse("ami:application_submit", args=[org, application.pk]))
    assert snapshot() == before
    page = client.get(reverse("ami:application", args=[org, application.pk])).content.decode()
    assert "elle n&#x27;est plus modifiable" in page
    assert "Déposer la candidature" not in page
    assert "Remplir le dossier" not in page


def test_bad_sections_change_nothing(world, client):
    application = world.application()
    before = snapshot()
    client.force_login(world.pantin.user)
    url = reverse("ami:application_edit", args=[world.pantin.organisation.pk, application.pk])
    for bad in [{"booklets_requested": "0"}, {"referent_email": "pas-une-adresse"}]:
        response = client.post(url, {"inclusion_issues": "Texte", **bad})
        assert response.status_code == 200
        assert "Rien n'a été enregistré" in response.content.decode()
    assert snapshot() == before
