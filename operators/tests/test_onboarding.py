"""Operator onboarding: sign-up, identity, questionnaire, documents, and the reviewers' queue."""

import html

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from journal.models import JournalEntry
from ledger import redemption
from ledger.tests import factories
from operators import queries, services
from operators.models import OperatorDocument, OperatorProfile, Qualification
from organisations.models import Membership, Organisation, Role
from passnum.testing import make_member, make_org, make_user

from .fixtures import company_api

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


SIRET = "77567227200017"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def operator_with_admin(role=Role.ADMIN, **extra):
    org = make_org(kind=Organisation.Kind.OPERATOR, **extra)
    OperatorProfile.objects.create(organisation=org, submitted_at=timezone.now())
    return org, make_member(org, role=role)


def issuer_admin(role=Role.ADMIN, kind=Organisation.Kind.ISSUER):
    org = make_org(kind=kind)
    return org, make_member(org, role=role)


def signup_data(**extra):
    data = {
        "siret": SIRET,
        "name": "Association Clic Solidaire",
        "legal_category": "ASSOCIATION",
        "address": "12 rue des Poissonniers",
        "postal_code": "93300",
        "city": "Aubervilliers",
        "email": "contact@clic.example",
        "phone": "01 23 45 67 89",
        "legal_representative_name": "Claire Martin",
        "legal_representative_role": "Présidente",
    }
    data.update(extra)
    return data


# Sign-up ------------------------------------------------------------------------------------


def test_signup_creates_operator_admin_and_application(client):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("operators:signup"), signup_data(siret="775 672 272 00017"))
    operator = Organisation.objects.get(siret=SIRET)
    assert response.status_code == 302
    assert response.url == reverse("operators:profile", args=[operator.pk])
    assert operator.kind == Organisation.Kind.OPERATOR
    assert Membership.objects.get(organisation=operator, user=user).role == Role.ADMIN
    profile = operator.operator_profile
    assert profile.qualification == Qualification.SUBMITTED
    assert profile.submitted_at is not None
    assert profile.legal_representative_name == "Claire Martin"
    entry = JournalEntry.objects.get(organisation=operator)
    assert entry.action == JournalEntry.Action.ORGANISATION_UPDATED
    assert entry.details["event"] == "operator_signup"


def test_signup_requires_login(client):
    response = client.get(reverse("operators:signup"))
    assert response.status_code == 302
    assert "/compte/connexion/" in response.url


def test_signup_with_used_siret_is_refused_and_creates_nothing(client):
    make_org(kind=Organisation.Kind.PRESCRIBER, siret=SIRET)
    client.force_login(make_user())
    before = Organisation.objects.count()
    response = client.post(reverse("operators:signup"), signup_data())
    assert response.status_code == 400
    assert "Ce SIRET est déjà utilisé par une autre structure." in text(response)
    assert Organisation.objects.count() == before
    assert not OperatorProfile.objects.exists()


def test_signup_with_invalid_siret(client):
    client.force_login(make_user())
    response = client.post(reverse("operators:signup"), signup_data(siret="77567227200018"))
    assert response.status_code == 400
    assert "la clé de contrôle ne correspond pas" in text(response)
    assert not Organisation.objects.filter(kind=Organisation.Kind.OPERATOR).exists()


def test_lookup_prefills_the_form_from_recorded_answer(client, settings):
    client.force_login(make_user())
    with company_api() as server:
        settings.RECHERCHE_ENTREPRISES_URL = server.url
        response = client.post(
            reverse("operators:signup"), {"siret": SIRET, "lookup": "1", "legal_category": "OTHER"}
        )
    body = text(response)
    assert response.status_code == 200
    assert 'value="ASSOCIATION CLIC SOLIDAIRE"' in body
    assert 'value="Claire MARTIN"' in body
    assert 'value="93300"' in body
    assert not Organisation.objects.filter(kind=Organisation.Kind.OPERATOR).exists()


def test_lookup_errors_are_french_and_save_nothing(client, settings):
    client.force_login(make_user())
    with company_api() as server:
        settings.RECHERCHE_ENTREPRISES_URL = server.url
        saturated = client.post(
            reverse("operators:signup"), {"siret": "49876543700021", "lookup": "1"}, follow=True
        )
        unknown = client.post(
            reverse("operators:signup"), {"siret": "81234567600017", "lookup": "1"}, follow=True
        )
    assert "saturé" in text(saturated)
    assert "introuvable dans le répertoire" in text(unknown)
    assert not Organisation.objects.filter(kind=Organisation.Kind.OPERATOR).exists()


# Profile and identity ------------------------------------------------------------------------


def test_profile_is_404_for_other_organisations_and_visible_to_members(client):
    operator, admin = operator_with_admin()
    _, other_admin = operator_with_admin()
    _, reader = operator_with_admin(role=Role.READONLY)
    client.force_login(other_admin.user)
    assert client.get(reverse("operators:profile", args=[operator.pk])).status_code == 404
    client.force_login(admin.user)
    assert client.get(reverse("operators:profile", args=[operator.pk])).status_code == 200
    # A prescriber's page is not an operator's dossier.
    prescriber = make_member(make_org())
    client.force_login(prescriber.user)
    url = reverse("operators:profile", args=[prescriber.organisation_id])
    assert client.get(url).status_code == 404
    client.force_login(reader.user)
    assert (
        client.get(reverse("operators:profile", args=[reader.organisation_id])).status_code == 200
    )


@pytest.mark.parametrize("name", ["identity", "questionnaire", "bank"])
def test_admin_pages_are_403_for_readonly_and_404_for_others(client, name):
    operator, _ = operator_with_admin()
    reader = make_member(operator, role=Role.READONLY)
    outsider = make_member(make_org(kind=Organisation.Kind.OPERATOR))
    url = reverse(f"operators:{name}", args=[operator.pk])
    client.force_login(reader.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403
    client.force_login(outsider.user)
    assert client.get(url).status_code == 404


def test_identity_update_checks_siret_uniqueness_excluding_itself(client):
    operator, admin = operator_with_admin(siret=SIRET, name="Clic")
    make_org(siret="49876543700021")
    client.force_login(admin.user)
    url = reverse("operators:identity", args=[operator.pk])
    response = client.post(url, signup_data(siret="49876543700021", name="Autre nom"))
    assert response.status_code == 400
    assert "Ce SIRET est déjà utilisé par une autre structure." in text(response)
    operator.refresh_from_db()
    assert (operator.siret, operator.name) == (SIRET, "Clic")
    response = client.post(url, signup_data(name="Clic Solidaire"))
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.name == "Clic Solidaire"
    assert operator.operator_profile.legal_representative_role == "Présidente"


def test_questionnaire_is_stored_as_json(client):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    url = reverse("operators:questionnaire", args=[operator.pk])
    answers = {
        "professional_mediators": "oui",
        "liability_insurance": "oui",
        "accessible_place": "non",
        "free_of_charge": "oui",
        "mediator_count": "3",
        "activity": "Ateliers hebdomadaires pour les seniors.",
    }
    bad = client.post(url, {**answers, "mediator_count": "beaucoup", "liability_insurance": "?"})
    assert bad.status_code == 400
    assert "Saisissez un nombre entier." in text(bad)
    assert OperatorProfile.objects.get(organisation=operator).questionnaire == {}
    assert client.post(url, answers).status_code == 302
    stored = OperatorProfile.objects.get(organisation=operator).questionnaire
    assert stored["mediator_count"] == 3
    assert stored["accessible_place"] == "non"


# Documents ----------------------------------------------------------------------------------


def upload(client, operator, name, content, kind="STATUTES"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("operators:document_upload", args=[operator.pk]),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="application/pdf")},
    )


def test_document_upload_checked_on_content_and_stored_privately(client, private_media):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    assert upload(client, operator, "statuts.pdf", PDF).status_code == 302
    document = OperatorDocument.objects.get()
    assert document.content_type == "application/pdf"
    assert document.original_name == "statuts.pdf"
    path = private_media / document.file.name
    assert path.read_bytes() == PDF
    assert "statuts" not in document.file.name  # a random name, not the uploaded one
    assert upload(client, operator, "rib.png", PNG, kind="RIB").status_code == 302
    assert OperatorDocument.objects.get(kind="RIB").content_type == "image/png"


def test_upload_of_wrong_type_is_refused_and_nothing_stored(client, private_media):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    response = upload(client, operator, "statuts.pdf", b"MZ\x90\x00 not a pdf at all")
    assert response.status_code == 400
    assert "Le fichier doit être un PDF, une image PNG ou une image JPEG" in text(response)
    assert not OperatorDocument.objects.exists()
    assert not private_media.exists() or not any(private_media.rglob("*.*"))


def test_upload_too_large_is_refused(client, private_media):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = upload(client, operator, "statuts.pdf", big)
    assert response.status_code == 400
    assert "5 Mo au plus" in text(response)
    assert not OperatorDocument.objects.exists()


def test_upload_is_403_for_readonly_and_404_for_others(client):
    operator, _ = operator_with_admin()
    reader = make_member(operator, role=Role.READONLY)
    outsider = make_member(make_org(kind=Organisation.Kind.OPERATOR))
    client.force_login(reader.user)
    assert upload(client, operator, "s.pdf", PDF).status_code == 403
    client.force_login(outsider.user)
    assert upload(client, operator, "s.pdf", PDF).status_code == 404
    assert not OperatorDocument.objects.exists()


def test_documents_served_as_attachments_only_to_entitled(client):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    upload(client, operator, "statuts.pdf", PDF)
    document = OperatorDocument.objects.get()
    own_url = reverse("operators:document_download", args=[operator.pk, document.pk])
    response = client.get(own_url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF

    member = make_member(operator, role=Role.MEMBER)
    client.force_login(member.user)
    assert client.get(own_url).status_code == 403

    other_operator, other_admin = operator_with_admin()
    client.force_login(other_admin.user)
    assert client.get(own_url).status_code == 404
    url = reverse("operators:document_download", args=[other_operator.pk, document.pk])
    assert client.get(url).status_code == 404

    issuer, reviewer = issuer_admin()
    client.force_login(reviewer.user)
    url = reverse("operators:document_download", args=[issuer.pk, document.pk])
    assert client.get(url).status_code == 200

    prescriber = make_member(make_org())
    client.force_login(prescriber.user)
    url = reverse("operators:document_download", args=[prescriber.organisation_id, document.pk])
    assert client.get(url).status_code == 404

    issuer_reader = make_member(issuer, role=Role.READONLY)
    client.force_login(issuer_reader.user)
    url = reverse("operators:document_download", args=[issuer.pk, document.pk])
    assert client.get(url).status_code == 403


# Review ---------------------------------------------------------------------------------------


def test_queue_filters_and_permissions(client):
    clic, _ = operator_with_admin(name="Clic Solidaire", siret=SIRET)
    other, _ = operator_with_admin(name="Autre Lieu")
    OperatorProfile.objects.filter(organisation=other).update(
        qualification=Qualification.QUALIFIED, decided_at=timezone.now()
    )
    issuer, reviewer = issuer_admin()
    client.force_login(reviewer.user)
    url = reverse("operators:queue", args=[issuer.pk])
    body = text(client.get(url))
    assert "Clic Solidaire" in body and "Autre Lieu" in body
    body = text(client.get(url, {"statut": "SUBMITTED"}))
    assert "Clic Solidaire" in body and "Autre Lieu" not in body
    body = text(client.get(url, {"q": "7756"}))
    assert "Clic Solidaire" in body and "Autre Lieu" not in body
    body = text(client.get(url, {"q": "introuvable"}))
    assert "Aucune candidature ne correspond à ces filtres." in body

    funder, funder_admin = issuer_admin(kind=Organisation.Kind.FUNDER)
    client.force_login(funder_admin.user)
    assert client.get(reverse("operators:queue", args=[funder.pk])).status_code == 200
    assert client.get(url).status_code == 404  # not a member of the issuer

    reader = make_member(issuer, role=Role.READONLY)
    client.force_login(reader.user)
    assert client.get(url).status_code == 403

    operator_admin = Membership.objects.filter(organisation=clic).first()
    client.force_login(operator_admin.user)
    assert client.get(reverse("operators:queue", args=[clic.pk])).status_code == 404
    application_url = reverse("operators:application", args=[clic.pk, clic.operator_profile.pk])
    assert client.get(application_url).status_code == 404


def test_queue_empty_state(client):
    issuer, reviewer = issuer_admin()
    client.force_login(reviewer.user)
    body = text(client.get(reverse("operators:queue", args=[issuer.pk])))
    assert "Aucune candidature d'opérateur pour l'instant." in body


def test_review_flow_journaled(client):
    operator, _ = operator_with_admin(name="Clic")
    profile = operator.operator_profile
    issuer, reviewer = issuer_admin()
    client.force_login(reviewer.user)
    url = reverse("operators:application", args=[issuer.pk, profile.pk])
    assert client.get(url).status_code == 200

    assert client.post(url, {"action": "start_review"}).status_code == 302
    profile.refresh_from_db()
    assert profile.qualification == Qualification.IN_REVIEW

    missing_reference = client.post(url, {"action": "qualify"})
    assert missing_reference.status_code == 409
    assert "n° de référencement" in text(missing_reference)
    profile.refresh_from_db()
    assert profile.qualification == Qualification.IN_REVIEW

    response = client.post(url, {"action": "qualify", "reference_number": "APTIC-2021-0042"})
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.qualification == Qualification.QUALIFIED
    assert profile.reference_number == "APTIC-2021-0042"
    assert profile.decided_by == reviewer.user

    no_reason = client.post(url, {"action": "suspend"})
    assert no_reason.status_code == 400
    assert "Indiquez le motif de cette décision." in text(no_reason)
    profile.refresh_from_db()
    assert profile.qualification == Qualification.QUALIFIED

    client.post(url, {"action": "suspend", "reason": "Plaintes de bénéficiaires."})
    profile.refresh_from_db()
    assert profile.qualification == Qualification.SUSPENDED
    assert profile.decision_reason == "Plaintes de bénéficiaires."

    impossible = client.post(url, {"action": "qualify", "reference_number": "X"})
    assert impossible.status_code == 409
    assert "n'est pas possible dans cet état" in text(impossible)

    client.post(url, {"action": "dequalify", "reason": "Fin de la convention."})
    profile.refresh_from_db()
    assert profile.qualification == Qualification.DEQUALIFIED
    events = [
        e.details
        for e in JournalEntry.objects.filter(organisation=operator).order_by("pk")
        if e.details.get("event") == "operator_qualification"
    ]
    assert [(e["from"], e["to"]) for e in events] == [
        ("SUBMITTED", "IN_REVIEW"),
        ("IN_REVIEW", "QUALIFIED"),
        ("QUALIFIED", "SUSPENDED"),
        ("SUSPENDED", "DEQUALIFIED"),
    ]
    assert events[2]["reason"] == "Plaintes de bénéficiaires."
    assert events[1]["reviewer_organisation"] == issuer.pk


def test_refusal_needs_reason(client):
    operator, _ = operator_with_admin()
    issuer, reviewer = issuer_admin()
    with pytest.raises(services.QualificationError):
        services.decide(
            operator.operator_profile, "refuse", by=reviewer.user, reviewer=issuer, reason=" "
        )
    services.decide(
        operator.operator_profile,
        "refuse",
        by=reviewer.user,
        reviewer=issuer,
        reason="Pas de médiateurs professionnels.",
    )
    assert OperatorProfile.objects.get(organisation=operator).qualification == "REFUSED"


def test_database_refuses_a_negative_decision_without_reason_or_author():
    operator, _ = operator_with_admin()
    reviewer = make_user()
    now = timezone.now()
    for changes in (
        {"qualification": Qualification.REFUSED, "decided_at": now, "decision_reason": "x"},
        {"qualification": Qualification.DEQUALIFIED, "decided_at": now, "decided_by": reviewer},
        {"qualification": Qualification.REFUSED, "decided_by": reviewer, "decision_reason": "x"},
        {"qualification": Qualification.SUSPENDED, "decided_at": None},
    ):
        with pytest.raises(IntegrityError), transaction.atomic():
            OperatorProfile.objects.filter(organisation=operator).update(**changes)
    OperatorProfile.objects.filter(organisation=operator).update(
        qualification=Qualification.REFUSED,
        decided_at=now,
        decided_by=reviewer,
        decision_reason="Pas de médiateurs professionnels.",
    )


def test_suspended_operator_cannot_redeem():
    operator, place, service = factories.operator()
    redemption.check_context(operator, place, service)  # qualified: fine
    issuer, reviewer = issuer_admin()
    services.decide(
        operator.operator_profile, "suspend", by=reviewer.user, reviewer=issuer, reason="Contrôle"
    )
    operator = Organisation.objects.get(pk=operator.pk)
    with pytest.raises(redemption.RedemptionRefused) as refused:
        redemption.check_context(operator, place, service)
    assert refused.value.code == redemption.OPERATOR_NOT_QUALIFIED


def test_missing_items_listed():
    operator, _ = operator_with_admin(legal_category="PUBLIC")
    missing = queries.missing_items(operator, operator.operator_profile)
    assert "l'acte constitutif de la régie" in missing
    assert "les coordonnées bancaires" in missing


def test_siret_taken_meanwhile_is_caught_by_the_database():
    make_org(siret=SIRET)
    user = make_user()
    before = Organisation.objects.count()
    with pytest.raises(services.SiretTaken, match="Ce SIRET est déjà utilisé"):
        services.create_operator(signup_data(), by=user)
    assert Organisation.objects.count() == before
    assert not Membership.objects.filter(user=user).exists()
    operator, admin = operator_with_admin(siret="49876543700021")
    with pytest.raises(services.SiretTaken):
        services.update_identity(operator, signup_data(), by=admin.user)
    operator.refresh_from_db()
    assert operator.siret == "49876543700021"


def test_a_stale_decision_is_refused_by_the_conditional_update():
    operator, _ = operator_with_admin()
    issuer, reviewer = issuer_admin()
    first = OperatorProfile.objects.get(organisation=operator)
    stale = OperatorProfile.objects.get(organisation=operator)
    services.decide(first, "refuse", by=reviewer.user, reviewer=issuer, reason="Incomplet")
    with pytest.raises(services.QualificationError, match="« Refusé »"):
        services.decide(stale, "start_review", by=reviewer.user, reviewer=issuer)
    assert OperatorProfile.objects.get(organisation=operator).qualification == "REFUSED"
    assert (
        JournalEntry.objects.filter(
            organisation=operator, details__event="operator_qualification"
        ).count()
        == 1
    )


def test_unknown_application_is_404(client):
    issuer, reviewer = issuer_admin()
    client.force_login(reviewer.user)
    assert client.get(reverse("operators:application", args=[issuer.pk, 999999])).status_code == 404
