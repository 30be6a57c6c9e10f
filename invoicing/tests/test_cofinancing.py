"""The State co-financing report: passes used per territory, PIC publics under the programme's
rule (« non renseigné » without a record or a diploma level), QPV, and 50 % of the value used
rounded half up to the cent — on a hand-computed fixture; the page and its three exports."""

import io
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from beneficiaries.models import Beneficiary, DiplomaLevel, QpvAnswer
from core.exports import read_xlsx
from invoicing.queries import OUTSIDE, cofinancing_report, eligible_cents
from journal.models import JournalEntry
from ledger import custody
from ledger.models import Pass
from ledger.tests import factories
from ledger.tests.test_custody_helpers import chain, down_to_prescriber
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org, make_user
from programmes.models import Programme, Territory

from .helpers import redeem_each

pytestmark = pytest.mark.django_db


def test_eligible_amount_rounds_half_up():
    assert eligible_cents(0) == 0
    assert eligible_cents(1000) == 500
    assert eligible_cents(999) == 500  # 4,995 € → 5,00 €
    assert eligible_cents(333) == 167  # 1,665 € → 1,67 €
    assert eligible_cents(2) == 1


def build():
    """Face value 3,33 €. Aubervilliers (prescriber CCAS) and Saint-Denis (prescriber Centre
    social) are territories.

    Used at Aubervilliers (March 2030): 2 passes by a PIC job seeker (CAP) living in a QPV,
    1 by a job seeker with the bac (PIC only « up to the bac »), not in a QPV, 1 by a person with
    an empty record (non renseigné). Used at Saint-Denis (April 2030): 1 by a young early leaver
    (18-24, no diploma: PIC), QPV unknown. Used from the funder's stock: 1 pass (no beneficiary).
    Handed out but not used: 1 (not counted)."""
    c = chain(booklets=3, face_value_cents=333, valid_until=date(2030, 12, 31))
    programme = c.order.programme
    Territory.objects.create(
        programme=programme,
        municipality=c.municipality,
        commune=factories.commune(),
        joined_on=date(2030, 1, 1),
    )
    saint_denis = make_org("Ville de Saint-Denis", kind=Organisation.Kind.MUNICIPALITY)
    Territory.objects.create(
        programme=programme,
        municipality=saint_denis,
        commune=factories.commune("93066", "Saint-Denis"),
        joined_on=date(2030, 1, 1),
    )
    centre = make_org("Centre social", kind=Organisation.Kind.PRESCRIBER, parent=saint_denis)
    centre_user = make_member(centre, Role.MEMBER).user
    town_user = make_member(saint_denis, Role.MEMBER).user
    booklets = c.booklets()
    down_to_prescriber(c, booklets[:1])
    t = custody.transfer_booklets(
        [booklets[1]], saint_denis, by=c.funder_user, from_holder=c.funder
    )
    custody.acknowledge_transfer(t, by=town_user)
    t = custody.transfer_booklets([booklets[1]], centre, by=town_user, from_holder=saint_denis)
    custody.acknowledge_transfer(t, by=centre_user)
    operator, place, service = factories.operator()
    mediator = make_member(operator, Role.MEMBER).user

    def person(prescriber, **fields):
        return Beneficiary.objects.create(prescriber=prescriber, **fields)

    pic = person(
        c.prescriber,
        job_seeker=True,
        diploma_level=DiplomaLevel.CAP_BEP,
        lives_in_qpv=QpvAnswer.YES,
    )
    bac = person(
        c.prescriber, job_seeker=True, diploma_level=DiplomaLevel.BAC, lives_in_qpv=QpvAnswer.NO
    )
    blank = person(c.prescriber)
    young = person(centre, age_band="dix_huit_vingt_quatre", diploma_level=DiplomaLevel.NONE)
    a = list(Pass.objects.filter(booklet=booklets[0]).order_by("number"))
    s = list(Pass.objects.filter(booklet=booklets[1]).order_by("number"))
    stock = list(Pass.objects.filter(booklet=booklets[2]).order_by("number"))
    with time_machine.travel(date(2030, 3, 10), tick=False):
        custody.hand_out(a[0:2], prescriber=c.prescriber, by=c.prescriber_user, beneficiary=pic)
        custody.hand_out(a[2:3], prescriber=c.prescriber, by=c.prescriber_user, beneficiary=bac)
        custody.hand_out(a[3:5], prescriber=c.prescriber, by=c.prescriber_user, beneficiary=blank)
        redeem_each(c.order, a[0:4], operator, place, service, mediator)
    with time_machine.travel(date(2030, 4, 20), tick=False):
        custody.hand_out(s[0:1], prescriber=centre, by=centre_user, beneficiary=young)
        redeem_each(c.order, s[0:1] + stock[0:1], operator, place, service, mediator)
    return c, programme


def test_report_hand_computed():
    c, programme = build()
    report = cofinancing_report(programme)
    by_label = {row.label: row for row in report.rows}
    assert list(by_label) == [
        "Aubervilliers",
        "Saint-Denis",
        OUTSIDE,
    ]
    aub = by_label["Aubervilliers"]
    assert (aub.used, aub.value_cents, aub.pic, aub.not_pic, aub.unknown) == (4, 1332, 2, 1, 1)
    assert (aub.qpv, aub.not_qpv, aub.qpv_unknown) == (2, 1, 1)
    assert aub.pic_share == 50.0 and aub.eligible_cents == 666
    sd = by_label["Saint-Denis"]
    assert (sd.used, sd.value_cents, sd.pic, sd.not_pic, sd.unknown, sd.qpv_unknown) == (
        1, 333, 1, 0, 0, 1
    )  # fmt: skip
    assert sd.eligible_cents == 167  # 1,665 € → 1,67 €
    out = by_label[OUTSIDE]
    assert (out.used, out.unknown, out.qpv_unknown, out.eligible_cents) == (1, 1, 1, 167)
    total = report.total
    assert (total.used, total.value_cents, total.pic, total.not_pic, total.unknown) == (
        6, 1998, 3, 1, 2
    )  # fmt: skip
    assert total.eligible_cents == 999  # 50 % of 19,98 €
    assert total.pic_share == 50.0 and report.target_met  # 3 of 6 = 50 %, target 50 %
    # Under the « up to the bac » rule the bac job seeker is PIC.
    Programme.objects.filter(pk=programme.pk).update(pic_rule=Programme.PicRule.UP_TO_BAC)
    programme.refresh_from_db()
    assert cofinancing_report(programme).total.pic == 4
    # A period: April only.
    april = cofinancing_report(programme, start=date(2030, 4, 1), end=date(2030, 4, 30))
    assert april.total.used == 2 and april.period_label == "du 01/04/2030 au 30/04/2030"
    # A day boundary in Paris time: 10/03 is included when the period ends on 10/03.
    march = cofinancing_report(programme, end=date(2030, 3, 10))
    assert march.total.used == 4


def test_pages_exports_and_permissions(client):
    c, programme = build()
    funder_member = make_member(c.funder, Role.READONLY).user
    client.login(email=funder_member.email, password=PASSWORD)
    url = reverse("invoicing:cofinancing", args=[c.funder.pk, programme.pk])
    page = unescape(client.get(url).content.decode())
    assert "6" in page and "9,99\u00a0€" in page and "objectif atteint" in page
    bad = client.get(url, {"du": "2030-05-01", "au": "2030-04-01"})
    assert bad.status_code == 400
    assert "La fin de la période précède son début." in unescape(bad.content.decode())
    bad = client.get(url, {"du": "pas une date"})
    assert "Saisissez une date valide" in unescape(bad.content.decode())
    export = reverse("invoicing:cofinancing_export", args=[c.funder.pk, programme.pk, "csv"])
    assert client.get(export, {"du": "n'importe quoi"}).status_code == 302

    csv = client.get(export)
    assert csv.content.startswith(b"\xef\xbb\xbf")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Territoire;Pass utilisés;Valeur des pass utilisés (€)")
    assert lines[1] == "Aubervilliers;4;13,32;2;1;1;50,0;2;1;1;6,66"
    assert lines[-1] == "Total du programme;6;19,98;3;1;2;50,0;2;1;3;9,99"
    xlsx = client.get(export.replace("csv", "xlsx"), {"du": "2030-04-01"})
    rows = read_xlsx(xlsx.content)
    assert rows[-1][0] == "Total du programme" and rows[-1][1] == 2
    assert Decimal(str(rows[-1][10])) == Decimal("3.33")  # 50 % of 6,66 €
    pdf = client.get(export.replace("csv", "pdf"))
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "Cofinancement de l'État" in text and "9,99" in text and "Aubervilliers" in text
    assert (
        JournalEntry.objects.filter(
            action=JournalEntry.Action.COFINANCING_REPORT_DOWNLOADED
        ).count()
        == 3
    )

    # Another funder: 404; the issuer and a prescriber: 403 (not their report).
    outsider = make_member(factories.programme(name="Autre").funder, Role.ADMIN).user
    client.login(email=outsider.email, password=PASSWORD)
    assert client.get(url).status_code == 404
    assert client.get(export).status_code == 404
    issuer_user = make_member(programme.issuer, Role.ADMIN).user
    client.login(email=issuer_user.email, password=PASSWORD)
    own = reverse("invoicing:cofinancing", args=[programme.issuer.pk, programme.pk])
    assert client.get(own).status_code == 403
    client.login(email=c.prescriber_user.email, password=PASSWORD)
    assert client.get(url).status_code == 404
    assert (
        client.get(
            reverse("invoicing:cofinancing", args=[c.prescriber.pk, programme.pk])
        ).status_code
        == 403
    )


def test_empty_report(client):
    programme = factories.programme()
    user = make_user()
    make_member(programme.funder, Role.MEMBER, user=user)
    client.login(email=user.email, password=PASSWORD)
    page = client.get(reverse("invoicing:cofinancing", args=[programme.funder.pk, programme.pk]))
    assert "Aucun pass utilisé depuis le début du programme" in unescape(page.content.decode())
