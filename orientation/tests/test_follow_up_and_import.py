"""Follow-up of a structure's people, and the all-or-nothing import of past hand-outs."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from beneficiaries.models import Beneficiary
from journal.models import JournalEntry
from ledger.models import EventKind, Pass, PassEvent, PassStatus
from ledger.redemption import redeem
from ledger.tests.test_redemption import item
from operators.models import Place
from organisations.models import Role
from orientation.models import HandoutImport, ImportedHandout
from passnum.testing import make_member, make_user

from .helpers import client_for, hand_out, other_member, places_nearby, prescriber_with_stock

pytestmark = pytest.mark.django_db


def snapshot() -> tuple:
    return (
        PassEvent.objects.count(),
        tuple(Pass.objects.order_by("pk").values_list("status", "beneficiary_id")),
        Beneficiary.objects.count(),
        HandoutImport.objects.count(),
        ImportedHandout.objects.count(),
    )


def test_follow_up_shows_uses_and_people_to_call_back():
    c = prescriber_with_stock()
    places = places_nearby()
    first = hand_out(c, count=2)
    second = hand_out(c, count=1)
    Beneficiary.objects.filter(pk=first.pk).update(contact_consent=True, phone="06 12 34 56 78")
    Beneficiary.objects.filter(pk=second.pk).update(contact_consent=False, phone="")
    place = places[0]
    service = place.operator.services.get()
    operator_user = make_user()
    make_member(place.operator, Role.MEMBER, user=operator_user)
    used = Pass.objects.filter(beneficiary=first).select_related("order").order_by("number")[0]
    redeem(
        operator=place.operator,
        place=Place.objects.get(pk=place.pk),
        service=service,
        items=[item(used)],
        idempotency_key="suivi-1",
        by=operator_user,
    )
    url = f"/orientation/{c.prescriber.pk}/suivi/"
    client = client_for(c.prescriber_user)
    body = client.get(url).content.decode()
    assert first.reference in body and second.reference in body
    assert f"{used.serial} : {place.name}" in body
    assert "Atelier démarches en ligne" in body
    used.refresh_from_db()
    assert timezone.localtime(used.redeemed_at).strftime("%d/%m/%Y %H:%M") in body
    assert "Personne n'a de pass non utilisés depuis 30 jours" in body

    Pass.objects.filter(beneficiary__in=[first, second]).update(
        distributed_at=timezone.now() - timedelta(days=31)
    )
    if True:
        body = client.get(url).content.decode()
        assert "Personnes à relancer (2)" in body
        assert "06 12 34 56 78" in body  # consented
        assert "Pas de consentement au recontact" in body
        body = client.get(url, {"jours": "40"}).content.decode()
        assert "Personne n'a de pass non utilisés depuis 40 jours" in body
        body = client.get(url, {"jours": "abc"}).content.decode()
        assert "Nombre de jours invalide" in body and "Personnes à relancer (2)" in body

    # Another structure's member: 404; the funder too (aggregates only, elsewhere).
    assert client_for(other_member()).get(url).status_code == 404
    assert client_for(c.funder_user).get(url).status_code == 404


def test_follow_up_empty_state():
    c = prescriber_with_stock()
    body = client_for(c.prescriber_user).get(f"/orientation/{c.prescriber.pk}/suivi/")
    assert "n'a encore remis de pass à personne" in body.content.decode()


def csv_of(*lines: str) -> bytes:
    return ("date;pass;beneficiaire;tranche_age;commune_insee\n" + "\n".join(lines)).encode()


def stock(c, count: int) -> list[Pass]:
    return list(Pass.objects.filter(holder=c.prescriber, status="IN_STOCK").order_by("number"))[
        :count
    ]


def test_import_writes_hand_outs_with_events():
    c = prescriber_with_stock()
    known = hand_out(c, count=1)
    p = stock(c, 4)
    data = csv_of(
        f"15/10/2021;{p[0].serial};NOUVEAU-1;60-69;93001",
        f"15/10/2021;{p[1].serial};nouveau-1;;",
        f"2021-11-02;{p[2].serial.lower()};NOUVEAU-2;NC;93066",
        f"03/11/2021;{p[3].serial};{known.reference};;",
    )
    from ledger.tests import factories

    factories.commune("93066", "Saint-Denis")
    events_before = PassEvent.objects.filter(kind=EventKind.DISTRIBUTED).count()
    admin = make_user()
    make_member(c.prescriber, Role.ADMIN, user=admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(admin).post(
        f"/orientation/{c.prescriber.pk}/import/",
        {"file": SimpleUploadedFile("remises.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302
    imported = HandoutImport.objects.get()
    assert (imported.line_count, imported.beneficiary_count) == (4, 3)
    for x in p:
        x.refresh_from_db()
        assert x.status == PassStatus.DISTRIBUTED
    assert p[0].beneficiary_id == p[1].beneficiary_id != p[2].beneficiary_id
    assert p[3].beneficiary_id == known.pk
    new_person = Beneficiary.objects.get(pk=p[0].beneficiary_id)
    assert new_person.prescriber == c.prescriber
    assert new_person.age_band == "soixante_soixante_neuf"
    assert new_person.commune_id == "93001"
    line = ImportedHandout.objects.get(pass_obj=p[2])
    assert line.handed_out_on.isoformat() == "2021-11-02" and line.line_number == 4
    assert PassEvent.objects.filter(kind=EventKind.DISTRIBUTED).count() == events_before + 3
    entry = JournalEntry.objects.filter(action=JournalEntry.Action.ORGANISATION_UPDATED).first()
    assert entry.details["operation"] == "import_handouts" and entry.details["lines"] == 4


def test_import_with_bad_lines_reports_each_line_and_imports_nothing():
    c = prescriber_with_stock()
    handed = hand_out(c, count=1)
    p = stock(c, 3)
    gone = Pass.objects.get(beneficiary=handed)
    data = csv_of(
        f"15/10/2021;{p[0].serial};NOUVEAU-1;60-69;93001",  # fine
        f"31/02/2021;{p[1].serial};NOUVEAU-1;;",  # bad date
        f"15/10/2021;{gone.serial};NOUVEAU-2;;",  # already handed out
        "15/10/2021;P00000000;B-ZZZZ-ZZZZ;vieux;99999",  # unknown pass, person, band, commune
        f"15/10/2021;{p[0].serial};NOUVEAU-3;;",  # duplicate serial
        "15/10/2021;trop;de;colonnes;ici;encore",
        f"{(timezone.localdate() + timedelta(days=2)):%d/%m/%Y};{p[2].serial};;;",  # future
    )
    before = snapshot()
    admin = make_user()
    make_member(c.prescriber, Role.ADMIN, user=admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(admin).post(
        f"/orientation/{c.prescriber.pk}/import/",
        {"file": SimpleUploadedFile("remises.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Aucune remise n'a été importée" in body
    assert "Ligne 2 :" not in body
    assert "Ligne 3 : date « 31/02/2021 » illisible" in body
    assert f"Ligne 4 : pass {gone.serial} absent du stock" in body
    assert "Ligne 5 : pass P00000000 inconnu" in body
    assert "bénéficiaire B-ZZZZ-ZZZZ inconnu dans votre structure" in body
    assert "tranche d&#x27;âge « vieux » inconnue" in body
    assert "commune « 99999 » inconnue" in body
    assert f"Ligne 6 : pass {p[0].serial} déjà présent ligne 2" in body
    assert "Ligne 7 : 6 colonnes au lieu de 5" in body
    assert "Ligne 8 : date" in body and "dans le futur" in body and "bénéficiaire manquant" in body
    assert snapshot() == before


def test_import_refused_by_the_ledger_rolls_back_every_line(tmp_path):
    """A check only the ledger makes (a booklet awaiting receipt) refuses the whole file, even
    the lines already handed out."""
    c = prescriber_with_stock()
    p = stock(c, 2)
    from ledger.models import Booklet, Transfer

    path = tmp_path / "remises.csv"
    path.write_bytes(
        csv_of(f"15/10/2021;{p[0].serial};NOUVEAU-1;;", f"15/10/2021;{p[1].serial};NOUVEAU-2;;")
    )
    # Second person's booklet is marked as awaiting receipt after parsing would accept it.
    transfer = Transfer.objects.order_by("-pk").first()
    before = snapshot()
    Booklet.objects.filter(pk=p[1].booklet_id).update(pending_transfer=transfer)
    with pytest.raises(CommandError) as excinfo:
        call_command("import_handouts", str(path), structure=c.prescriber.pk)
    assert "Aucune remise importée" in str(excinfo.value)
    assert "Ligne 2 : Accusez d'abord réception" in str(excinfo.value)
    assert snapshot() == before


def test_import_command_and_permissions(tmp_path, capsys):
    c = prescriber_with_stock()
    p = stock(c, 1)
    path = tmp_path / "remises.csv"
    path.write_bytes(csv_of(f"15/10/2021,{p[0].serial},NOUVEAU-1,,".replace(",", ";")))
    call_command(
        "import_handouts", str(path), structure=c.prescriber.pk, utilisateur=c.prescriber_user.email
    )
    assert "1 pass remis à 1 personne(s)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Structure prescriptrice introuvable"):
        call_command("import_handouts", str(path), structure=c.funder.pk)
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("import_handouts", str(tmp_path / "absent.csv"), structure=c.prescriber.pk)
    bad = tmp_path / "mauvais.csv"
    bad.write_bytes(b"date;pass\n")
    with pytest.raises(CommandError, match="Ligne 1 : les colonnes attendues"):
        call_command("import_handouts", str(bad), structure=c.prescriber.pk)

    url = f"/orientation/{c.prescriber.pk}/import/"
    # The format is documented on the page; members and read-only members may not import.
    admin = make_user()
    make_member(c.prescriber, Role.ADMIN, user=admin)
    body = client_for(admin).get(url).content.decode()
    assert "date;pass;beneficiaire;tranche_age;commune_insee" in body
    reader = make_user()
    make_member(c.prescriber, Role.READONLY, user=reader)
    assert client_for(reader).post(url, {}).status_code == 403
    assert client_for(c.prescriber_user).get(url).status_code == 403  # MEMBER
    assert client_for(other_member()).post(url, {}).status_code == 404
