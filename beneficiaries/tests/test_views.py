"""The prescriber workspace: pages, permissions (404 for other organisations, 403 for read-only
members on writes), bad input in French changing nothing, and the JSON export."""

import json

import pytest
from django.urls import reverse

from beneficiaries import services
from beneficiaries.models import Beneficiary
from journal.models import JournalEntry
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

from .helpers import ANSWERS, commune, qpv, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def a():
    return make_member(make_org("CCAS A"), Role.MEMBER)


@pytest.fixture
def b_person():
    member = make_member(make_org("CCAS B"), Role.MEMBER)
    return services.create_beneficiary(
        prescriber=member.organisation, by=member.user, record_data=record(), answers=ANSWERS
    )


def post_data(**changes):
    data = {f"fiche-{k}": v for k, v in {
        "age_band": "dix_huit_vingt_quatre",
        "gender": "non_communique",
        "social_status": "sans_emploi",
        "diploma_level": "sans_diplome",
        "lives_in_qpv": "inconnu",
    }.items()}  # fmt: skip
    data.update({f"diag-{k}": v for k, v in ANSWERS.items() if k != "goals"})
    data["diag-goals"] = ["job"]
    data.update(changes)
    return data


def test_list_new_and_person_pages(client, a):
    client.force_login(a.user)
    org = a.organisation
    response = client.get(reverse("beneficiaries:people", args=[org.pk]))
    assert response.status_code == 200
    assert "Aucune personne pour l'instant" in response.text
    response = client.get(reverse("beneficiaries:new", args=[org.pk]))
    assert response.status_code == 200 and "Le diagnostic numérique" in response.text
    town = commune()
    zone = qpv(town)
    response = client.post(
        reverse("beneficiaries:new", args=[org.pk]),
        post_data(**{
            "fiche-commune": town.pk, "fiche-lives_in_qpv": "oui", "fiche-qpv": zone.pk.lower(),
            "fiche-contact_consent": "on", "fiche-phone": "06 12 34 56 78",
        }),
    )  # fmt: skip
    person = Beneficiary.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("beneficiaries:person", args=[org.pk, person.pk])
    assert person.pic_eligible and person.qpv_id == zone.pk and person.phone == "06 12 34 56 78"
    page = client.get(response.url).text
    assert person.reference in page and "Intermédiaire (8 sur 16)" in page
    assert reverse("ledger:hand_out", args=[org.pk]) in page
    listing = client.get(reverse("beneficiaries:people", args=[org.pk]), {"q": person.reference})
    assert person.reference in listing.text and "100,0 %" in listing.text
    none = client.get(reverse("beneficiaries:people", args=[org.pk]), {"q": "B-ZZZZ"})
    assert "Aucune personne ne correspond" in none.text


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"fiche-phone": "0612345678"}, "qu&#x27;avec l&#x27;accord de la personne"),
        ({"fiche-commune": "99999"}, "Aucune commune n&#x27;a le code INSEE « 99999 »"),
        ({"fiche-job_seeker_since": "13/2025"}, "Indiquez un mois au format MM/AAAA"),
        ({"diag-email": ""}, "Choisissez une réponse."),
        ({"fiche-age_band": "vieux"}, "Sélectionnez un choix valide"),
    ],
)
def test_bad_input_is_reported_in_french_and_changes_nothing(client, a, changes, message):
    client.force_login(a.user)
    response = client.post(
        reverse("beneficiaries:new", args=[a.organisation.pk]), post_data(**changes)
    )
    assert response.status_code == 200
    assert message in response.text
    assert "La fiche n&#x27;est pas enregistrée" in response.text
    assert Beneficiary.objects.count() == 0


def test_qpv_of_another_commune_is_refused(client, a):
    client.force_login(a.user)
    zone = qpv(commune())
    other = factories.commune("93066", "Saint-Denis")
    response = client.post(
        reverse("beneficiaries:new", args=[a.organisation.pk]),
        post_data(**{"fiche-commune": other.pk, "fiche-lives_in_qpv": "oui", "fiche-qpv": zone.pk}),
    )
    assert "n&#x27;est pas dans la commune indiquée" in response.text
    assert Beneficiary.objects.count() == 0


def test_prescriber_a_cannot_see_b_beneficiaries(client, a, b_person):
    client.force_login(a.user)
    b_org = b_person.prescriber_id
    for name, args in [
        ("people", [b_org]),
        ("new", [b_org]),
        ("person", [b_org, b_person.pk]),
        ("person", [a.organisation.pk, b_person.pk]),
    ]:
        assert client.get(reverse(f"beneficiaries:{name}", args=args)).status_code == 404
    for args in ([b_org, b_person.pk], [a.organisation.pk, b_person.pk]):
        assert client.post(reverse("beneficiaries:export", args=args)).status_code == 404
    search = client.get(
        reverse("beneficiaries:people", args=[a.organisation.pk]), {"q": b_person.reference}
    )
    assert "Aucune personne ne correspond" in search.text
    assert client.post(reverse("beneficiaries:new", args=[b_org]), post_data()).status_code == 404
    assert Beneficiary.objects.count() == 1


def test_a_funder_sees_no_individual_record(client, b_person):
    funder = make_member(make_org("Département", kind=Organisation.Kind.FUNDER), Role.ADMIN)
    client.force_login(funder.user)
    assert (
        client.get(reverse("beneficiaries:people", args=[funder.organisation.pk])).status_code
        == 404
    )
    org = b_person.prescriber_id
    assert client.get(reverse("beneficiaries:people", args=[org])).status_code == 404
    assert client.get(reverse("beneficiaries:person", args=[org, b_person.pk])).status_code == 404
    # What funders and hubs get: numbers only.
    from beneficiaries.queries import aggregates_for

    figures = aggregates_for([b_person.prescriber])
    assert figures["people"] == 1
    assert all(isinstance(v, int | float) for v in figures.values())
    assert b_person.reference not in json.dumps(figures)


def test_read_only_member_reads_but_cannot_write(client, b_person):
    reader = make_member(b_person.prescriber, Role.READONLY)
    client.force_login(reader.user)
    org = b_person.prescriber_id
    assert client.get(reverse("beneficiaries:people", args=[org])).status_code == 200
    page = client.get(reverse("beneficiaries:person", args=[org, b_person.pk]))
    assert page.status_code == 200 and "Exporter" not in page.text
    assert client.get(reverse("beneficiaries:new", args=[org])).status_code == 403
    assert client.post(reverse("beneficiaries:new", args=[org]), post_data()).status_code == 403
    assert client.post(reverse("beneficiaries:export", args=[org, b_person.pk])).status_code == 403
    assert Beneficiary.objects.count() == 1
    assert not JournalEntry.objects.filter(action=JournalEntry.Action.ORGANISATION_UPDATED).exists()


def test_anonymous_is_sent_to_login(client, b_person):
    response = client.get(reverse("beneficiaries:people", args=[b_person.prescriber_id]))
    assert response.status_code == 302 and "connexion" in response.url


def test_export_download_is_journaled(client, b_person):
    member = make_member(b_person.prescriber, Role.MEMBER)
    client.force_login(member.user)
    url = reverse("beneficiaries:export", args=[b_person.prescriber_id, b_person.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert f"donnees-{b_person.reference}.json" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["reference"] == b_person.reference and data["pass"] == []
    entry = JournalEntry.objects.get(action=JournalEntry.Action.ORGANISATION_UPDATED)
    assert entry.details == {"export": {"beneficiary": b_person.reference}}
    assert entry.organisation_id == b_person.prescriber_id


def test_personal_data_page_describes_the_processing(client, settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 18
    page = client.get(reverse("core:personal_data")).text
    assert "Personnes accompagnées par les structures prescriptrices" in page
    assert "Durée de conservation : 18 mois après le dernier événement" in page


def test_person_page_lists_passes_and_where_they_were_used(client):
    import uuid

    from ledger import codes, custody, redemption
    from ledger.tests.test_custody_helpers import chain, down_to_prescriber

    c = chain(booklets=1)
    booklet = down_to_prescriber(c)[0].serial
    b = services.create_beneficiary(
        prescriber=c.prescriber, by=c.prescriber_user, record_data=record(), answers=ANSWERS
    )
    passes = custody.select_passes(c.prescriber, booklet_serial=booklet, count=2)
    custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user, beneficiary=b)
    operator, place, service = factories.operator()
    mediator = make_member(operator, Role.MEMBER)
    redemption.redeem(
        operator=operator,
        place=place,
        service=service,
        items=[(passes[0].serial, codes.pass_code(c.order.key_id, passes[0].serial))],
        idempotency_key=str(uuid.uuid4()),
        by=mediator.user,
    )
    client.force_login(c.prescriber_user)
    page = client.get(reverse("beneficiaries:person", args=[c.prescriber.pk, b.pk])).text
    assert passes[0].serial in page and passes[1].serial in page
    assert "Lieu Association Clic Solidaire (Association Clic Solidaire)" in page


def edit_data(**changes):
    data = {f"fiche-{k}": v for k, v in {
        "age_band": "quarante_cinquante_neuf",
        "gender": "non_communique",
        "social_status": "sans_emploi",
        "diploma_level": "cap_bep",
        "job_seeker": "on",
        "job_seeker_since": "02/2026",
        "lives_in_qpv": "non",
    }.items()}  # fmt: skip
    data.update(changes)
    return data


def test_edit_record_derives_pic_again_and_consent_withdrawal_erases_contact(client, b_person):
    member = make_member(b_person.prescriber, Role.MEMBER)
    client.force_login(member.user)
    Beneficiary.objects.filter(pk=b_person.pk).update(
        contact_consent=True, phone="0612345678", consent_at=b_person.created_at
    )
    url = reverse("beneficiaries:edit", args=[b_person.prescriber_id, b_person.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="0612345678"' in page.text
    response = client.post(url, edit_data())
    assert response.status_code == 302
    b = Beneficiary.objects.get(pk=b_person.pk)
    assert b.pic_eligible and b.pic_basis["criterion"] == "job_seeker"
    assert b.job_seeker_since.isoformat() == "2026-02-01"
    assert (b.contact_consent, b.phone, b.consent_at) == (False, "", None)
    # The diagnostic is untouched.
    assert b.diagnostic_answers == b_person.diagnostic_answers


def test_edit_bad_input_and_anonymised_record_change_nothing(client, b_person):
    member = make_member(b_person.prescriber, Role.MEMBER)
    client.force_login(member.user)
    url = reverse("beneficiaries:edit", args=[b_person.prescriber_id, b_person.pk])
    before = Beneficiary.objects.filter(pk=b_person.pk).values().get()
    response = client.post(url, edit_data(**{"fiche-email": "x@exemple.fr"}))
    assert "La fiche n&#x27;est pas modifiée" in response.text
    assert Beneficiary.objects.filter(pk=b_person.pk).values().get() == before
    Beneficiary.objects.filter(pk=b_person.pk).update(anonymised_at=b_person.created_at)
    before = Beneficiary.objects.filter(pk=b_person.pk).values().get()
    response = client.post(url, edit_data())
    assert response.status_code == 200 and "Cette fiche est anonymisée" in response.text
    assert Beneficiary.objects.filter(pk=b_person.pk).values().get() == before


def test_edit_permissions(client, a, b_person):
    client.force_login(a.user)
    for org in (b_person.prescriber_id, a.organisation.pk):
        url = reverse("beneficiaries:edit", args=[org, b_person.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, edit_data()).status_code == 404
    reader = make_member(b_person.prescriber, Role.READONLY)
    client.force_login(reader.user)
    url = reverse("beneficiaries:edit", args=[b_person.prescriber_id, b_person.pk])
    assert client.post(url, edit_data()).status_code == 403
    assert Beneficiary.objects.get(pk=b_person.pk).diploma_level == "non_communique"
