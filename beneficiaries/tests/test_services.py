"""Creating records, the contact constraint, PIC/QPV shares on a fixture (hand-computed), the
purge keeping the aggregates, and the export."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from beneficiaries import queries, services
from beneficiaries.models import Beneficiary
from journal.models import JournalEntry
from ledger import custody
from ledger.models import Pass
from ledger.tests.test_custody_helpers import chain, down_to_prescriber

from .helpers import ANSWERS, commune, qpv, record

pytestmark = pytest.mark.django_db


def create(prescriber, user, **extra):
    return services.create_beneficiary(
        prescriber=prescriber, by=user, record_data=record(**extra), answers=ANSWERS
    )


def test_create_stores_diagnostic_and_pic_basis():
    c = chain(booklets=1)
    b = create(c.prescriber, c.prescriber_user, diploma_level="cap_bep", job_seeker=True)
    assert b.reference.startswith("B-")
    assert (b.autonomy_level, b.diagnostic_score, b.recommended_passes) == ("intermediaire", 8, 8)
    assert b.pic_eligible
    assert b.pic_basis == {
        "rule": "BELOW_BAC",
        "criterion": "job_seeker",
        "diploma": "cap_bep",
        "job_seeker": True,
    }


def test_programme_rule_applies():
    c = chain(booklets=1)
    c.order.programme.pic_rule = "UP_TO_BAC"
    c.order.programme.save()
    b = create(
        c.prescriber, c.prescriber_user, diploma_level="bac", job_seeker=True,
        programme=c.order.programme,
    )  # fmt: skip
    assert b.pic_eligible and b.pic_basis["rule"] == "UP_TO_BAC"


def test_contact_without_consent_is_refused_by_the_database():
    c = chain(booklets=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Beneficiary.objects.create(prescriber=c.prescriber, phone="06 12 34 56 78")
    with pytest.raises(IntegrityError), transaction.atomic():
        Beneficiary.objects.create(prescriber=c.prescriber, email="a@exemple.fr")
    Beneficiary.objects.create(prescriber=c.prescriber, contact_consent=True, email="a@exemple.fr")


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"phone": "0612345678"}, "qu'avec l'accord"),
        ({"lives_in_qpv": "non", "qpv": "QPV"}, "que si la personne y habite"),
        ({"lives_in_qpv": "oui", "qpv": "QPV", "commune": None}, "pas un quartier prioritaire"),
        ({"job_seeker_since": datetime(2025, 3, 4).date()}, "suppose que la personne"),
    ],
)
def test_bad_input_changes_nothing(extra, message):
    c = chain(booklets=1)
    town = commune()
    if extra.get("qpv") == "QPV":
        extra["qpv"] = qpv(town)
    extra.setdefault("commune", town)
    with pytest.raises(services.BeneficiaryError, match=message):
        create(c.prescriber, c.prescriber_user, **extra)
    assert Beneficiary.objects.count() == 0


def test_bad_diagnostic_changes_nothing():
    c = chain(booklets=1)
    with pytest.raises(services.BeneficiaryError, match="Répondez"):
        services.create_beneficiary(
            prescriber=c.prescriber,
            by=c.prescriber_user,
            record_data=record(),
            answers={**ANSWERS, "time": "jamais"},
        )
    assert Beneficiary.objects.count() == 0


def fixture_people(c):
    """Six people; hand-computed: PIC 2/6 below the bac, 3/6 up to the bac; QPV 2/6."""
    town = commune()
    zone = qpv(town)
    p1 = create(
        c.prescriber, c.prescriber_user, diploma_level="cap_bep", job_seeker=True,
        commune=town, lives_in_qpv="oui", qpv=zone,
    )  # fmt: skip
    p2 = create(c.prescriber, c.prescriber_user, diploma_level="bac", job_seeker=True)
    p3 = create(
        c.prescriber, c.prescriber_user, diploma_level="sans_diplome",
        age_band="dix_huit_vingt_quatre", lives_in_qpv="oui",
    )  # fmt: skip
    p4 = create(
        c.prescriber, c.prescriber_user, diploma_level="sans_diplome", lives_in_qpv="non",
        contact_consent=True, phone="06 12 34 56 78", email="p4@exemple.fr", notes="Rappeler",
        gender="feminin",
    )  # fmt: skip
    p5 = create(c.prescriber, c.prescriber_user, diploma_level="bac_2", job_seeker=True)
    p6 = create(c.prescriber, c.prescriber_user, job_seeker=True)
    return p1, p2, p3, p4, p5, p6


def hand(c, beneficiary, count, booklet):
    passes = custody.select_passes(c.prescriber, serials="", booklet_serial=booklet, count=count)
    custody.hand_out(passes, prescriber=c.prescriber, by=c.prescriber_user, beneficiary=beneficiary)


def test_pic_and_qpv_shares_under_both_rules():
    c = chain(booklets=1)
    booklet = down_to_prescriber(c)[0].serial
    p1, p2, _p3, p4, _p5, _p6 = fixture_people(c)
    hand(c, p1, 3, booklet)
    hand(c, p2, 2, booklet)
    hand(c, p4, 5, booklet)
    stored = queries.aggregates_for([c.prescriber])
    assert stored == {
        "people": 6,
        "passes_handed_out": 10,
        "pic_people": 2,
        "pic_share": 33.3,
        "pic_passes": 3,
        "pic_pass_share": 30.0,
        "qpv_people": 2,
        "qpv_share": 33.3,
    }
    assert queries.aggregates_for([c.prescriber], rule="BELOW_BAC") == stored
    up_to = queries.aggregates_for([c.prescriber], rule="UP_TO_BAC")
    assert (up_to["pic_people"], up_to["pic_share"]) == (3, 50.0)
    assert (up_to["pic_passes"], up_to["pic_pass_share"]) == (5, 50.0)
    assert up_to["qpv_share"] == 33.3


def test_aggregates_of_nobody():
    assert queries.aggregates_for([])["pic_share"] == 0.0


def test_purge_clears_personal_fields_and_keeps_the_aggregates(settings):
    settings.PERSONAL_DATA_RETENTION_MONTHS = 24
    c = chain(booklets=1)
    with time_machine.travel(datetime(2023, 3, 17, 10, 30, tzinfo=UTC), tick=False):
        booklet = down_to_prescriber(c)[0].serial
        old = fixture_people(c)
        hand(c, old[3], 2, booklet)
    with time_machine.travel(datetime(2025, 9, 17, 10, 30, tzinfo=UTC), tick=False):
        recent = create(c.prescriber, c.prescriber_user, contact_consent=True, phone="0700000000")
        # A recent hand-out keeps an old record alive.
        hand(c, old[0], 1, booklet)
    before = queries.aggregates_for([c.prescriber])
    before_up_to = queries.aggregates_for([c.prescriber], rule="UP_TO_BAC")
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

    dry = services.purge_personal_data(now=now, dry_run=True)
    assert sorted(dry.references) == sorted(b.reference for b in old[1:])
    assert Beneficiary.objects.filter(anonymised_at__isnull=False).count() == 0

    result = services.purge_personal_data(now=now)
    assert sorted(result.references) == sorted(b.reference for b in old[1:])
    for b in Beneficiary.objects.filter(reference__in=result.references):
        assert (b.phone, b.email, b.notes, b.contact_consent, b.consent_at) == (
            "",
            "",
            "",
            False,
            None,
        )
        assert b.gender == "non_communique" and b.diagnostic_answers == {}
        local = timezone.localtime(b.created_at)
        assert (local.day, local.hour, local.minute) == (1, 0, 0), local
        assert timezone.localtime(b.updated_at).day == 1
        assert b.anonymised_at is not None
    kept = Beneficiary.objects.get(pk=recent.pk)
    assert kept.phone == "0700000000" and kept.anonymised_at is None
    assert Beneficiary.objects.get(pk=old[0].pk).anonymised_at is None
    assert queries.aggregates_for([c.prescriber]) == before
    assert queries.aggregates_for([c.prescriber], rule="UP_TO_BAC") == before_up_to
    # Running again changes nothing.
    assert services.purge_personal_data(now=now).references == []


def test_purge_command_dry_run(settings, capsys):
    from django.core.management import call_command

    c = chain(booklets=1)
    with time_machine.travel(datetime(2020, 1, 1, tzinfo=UTC), tick=False):
        b = create(c.prescriber, c.prescriber_user, contact_consent=True, phone="0600000000")
    call_command("purge_personal_data", "--dry-run")
    out = capsys.readouterr().out
    assert "Simulation : 1 fiche(s)" in out and b.reference in out
    assert Beneficiary.objects.get(pk=b.pk).phone == "0600000000"
    call_command("purge_personal_data")
    assert "1 fiche(s) anonymisée(s)" in capsys.readouterr().out
    assert Beneficiary.objects.get(pk=b.pk).phone == ""


def test_export_is_journaled():
    c = chain(booklets=1)
    booklet = down_to_prescriber(c)[0].serial
    b = create(c.prescriber, c.prescriber_user, contact_consent=True, email="x@exemple.fr")
    hand(c, b, 2, booklet)
    payload = services.export_beneficiary(b, by=c.prescriber_user)
    assert payload["reference"] == b.reference and payload["email"] == "x@exemple.fr"
    assert len(payload["pass"]) == 2
    assert Pass.objects.filter(beneficiary=b).count() == 2
    entry = JournalEntry.objects.get(action=JournalEntry.Action.ORGANISATION_UPDATED)
    assert entry.details == {"export": {"beneficiary": b.reference}}


def test_search_and_follow_up_of_a_used_pass():
    import uuid

    from ledger import codes, redemption
    from ledger.tests import factories
    from organisations.models import Role
    from passnum.testing import make_member

    c = chain(booklets=1)
    booklet = down_to_prescriber(c)[0].serial
    b = create(c.prescriber, c.prescriber_user)
    create(c.prescriber, c.prescriber_user)
    hand(c, b, 2, booklet)
    compact = b.reference.replace("-", "").lower()
    for search in (b.reference, compact, f"{compact[:1]} {compact[1:]}", b.reference[2:6]):
        assert list(queries.beneficiaries_of(c.prescriber, search)) == [b], search
    assert queries.beneficiaries_of(c.prescriber, "").count() == 2

    operator, place, service = factories.operator()
    mediator = make_member(operator, Role.MEMBER)
    first = queries.passes_of(b).first()
    redemption.redeem(
        operator=operator,
        place=place,
        service=service,
        items=[(first.serial, codes.pass_code(c.order.key_id, first.serial))],
        idempotency_key=str(uuid.uuid4()),
        by=mediator.user,
    )
    used = queries.passes_of(b).first()
    assert used.redemption.place.name == "Lieu Association Clic Solidaire"
    assert used.redemption.operator == operator
