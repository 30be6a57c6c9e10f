import csv
import io
from datetime import date

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from ami.models import ApplicationDocument, ApplicationStatus, RequiredDocument
from core.exports import read_xlsx
from journal.models import JournalEntry
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org
from programmes.models import Territory
from selection import services
from selection.models import BureauVote, CommitteeMember, ConflictDeclaration, Proposal, Score

from .factories import declare_all, score, world

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(email=user.email, password=PASSWORD)
    return client


def urls(w, org=None):
    """Every view of the app, with its method."""
    org_id = (org or w.funder).pk
    call = w.call.pk
    app = w.applications[0].pk
    args = [org_id, call]
    return [
        ("get", reverse("selection:board", args=args)),
        ("get", reverse("selection:committee", args=args)),
        ("post", reverse("selection:committee", args=args)),
        ("post", reverse("selection:remove_member", args=[*args, w.vice.pk])),
        ("post", reverse("selection:delegate", args=args)),
        ("get", reverse("selection:declare", args=args)),
        ("post", reverse("selection:declare", args=args)),
        ("get", reverse("selection:application", args=[*args, app])),
        ("post", reverse("selection:application", args=[*args, app])),
        ("get", reverse("selection:document", args=[*args, app, 1])),
        ("get", reverse("selection:ranking", args=args)),
        ("get", reverse("selection:proposal", args=args)),
        ("post", reverse("selection:proposal", args=args)),
        ("post", reverse("selection:validate", args=args)),
        ("get", reverse("selection:vote", args=args)),
        ("post", reverse("selection:vote", args=args)),
        ("get", reverse("selection:export_applications", args=[*args, "csv"])),
        ("get", reverse("selection:export_scores", args=[*args, "xlsx"])),
        ("get", reverse("selection:decision_pdf", args=args)),
    ]


def test_anonymous_users_are_sent_to_login(client):
    w = world()
    for method, url in urls(w) + [("get", reverse("selection:calls", args=[w.funder.pk]))]:
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/compte/" in response.url or "login" in response.url


def test_another_organisation_gets_404_everywhere(client):
    w = world()
    stranger = make_member(make_org("Autre commanditaire", kind=Organisation.Kind.FUNDER)).user
    login(client, stranger)
    for method, url in urls(w):
        assert getattr(client, method)(url).status_code == 404, url
    assert client.get(reverse("selection:calls", args=[w.funder.pk])).status_code == 404
    # Through its own organisation, the call does not exist either.
    for method, url in urls(w, org=stranger.memberships.get().organisation):
        assert getattr(client, method)(url).status_code == 404, url


def test_a_commune_never_reaches_the_committee(client):
    w = world()
    montreuil = w.applications[0]
    commune_user = montreuil.created_by
    login(client, commune_user)
    for method, url in urls(w) + urls(w, org=montreuil.municipality):
        assert getattr(client, method)(url).status_code == 404, url


def test_funder_staff_outside_the_committee_get_403_on_committee_screens(client):
    w = world()
    staff = make_member(w.funder, Role.MEMBER).user
    login(client, staff)
    for method, url in urls(w):
        expected = 403
        if url.endswith("decision.pdf"):
            expected = 404  # a funder member may read the decision, once voted
        assert getattr(client, method)(url).status_code == expected, url


def test_hub_staff_outside_the_committee_get_403_and_the_hub_member_sees_but_does_not_manage(
    client,
):
    w = world()
    hub_admin = make_member(w.hub, Role.ADMIN).user
    login(client, hub_admin)
    for method, url in urls(w, org=w.hub):
        assert getattr(client, method)(url).status_code == 403, url
    client.logout()
    login(client, w.qualified.user)
    args = [w.hub.pk, w.call.pk]
    assert client.get(reverse("selection:board", args=args)).status_code == 200
    assert client.get(reverse("selection:ranking", args=args)).status_code == 200
    assert client.get(reverse("selection:committee", args=args)).status_code == 403
    assert client.get(reverse("selection:vote", args=args)).status_code == 403
    assert client.post(reverse("selection:validate", args=args)).status_code == 403


def test_committee_members_who_do_not_chair_cannot_validate_nor_manage(client):
    w = world()
    login(client, w.vice.user)
    args = [w.funder.pk, w.call.pk]
    assert client.get(reverse("selection:board", args=args)).status_code == 200
    assert client.post(reverse("selection:validate", args=args)).status_code == 403
    assert client.post(reverse("selection:proposal", args=args), {}).status_code == 403
    assert client.get(reverse("selection:committee", args=args)).status_code == 403
    assert client.get(reverse("selection:vote", args=args)).status_code == 403
    assert client.post(reverse("selection:delegate", args=args)).status_code == 403
    assert not Proposal.objects.exists()


def test_the_funder_admin_composes_the_committee(client):
    w = world()
    login(client, w.admin)
    args = [w.funder.pk, w.call.pk]
    page = client.get(reverse("selection:committee", args=args))
    assert page.status_code == 200
    assert "Personnalité qualifiée" in page.content.decode()
    newcomer = make_member(w.funder, Role.READONLY).user
    bad = client.post(
        reverse("selection:committee", args=args),
        {"user": newcomer.pk, "function": "GROUP_REPRESENTATIVE", "political_group": ""},
    )
    assert bad.status_code == 400
    assert "Indiquez le groupe politique" in bad.content.decode()
    assert not CommitteeMember.objects.filter(user=newcomer).exists()
    ok = client.post(
        reverse("selection:committee", args=args),
        {"user": newcomer.pk, "function": "GROUP_REPRESENTATIVE", "political_group": "Écologistes"},
    )
    assert ok.status_code == 302
    assert CommitteeMember.objects.get(user=newcomer).political_group == "Écologistes"
    client.post(reverse("selection:delegate", args=args), {"to_member": w.vice.pk})
    w.vice.refresh_from_db()
    assert w.vice.is_chair
    client.post(reverse("selection:remove_member", args=[*args, w.group.pk]))
    assert not CommitteeMember.objects.filter(pk=w.group.pk).exists()


def test_a_member_declares_then_scores_through_the_screens(client):
    w = world()
    montreuil, ivry, _ = w.applications
    login(client, w.vice.user)
    args = [w.funder.pk, w.call.pk]
    url = reverse("selection:application", args=[*args, montreuil.pk])
    page = client.get(url).content.decode()
    assert "Déclarez d'abord" in page
    assert "Avis favorable" in page  # the committee sees the hub's opinion
    incomplete = client.post(
        reverse("selection:declare", args=args), {f"conflict_{ivry.pk}": "non"}
    )
    assert incomplete.status_code == 400
    assert "Indiquez si vous avez un conflit" in incomplete.content.decode()
    assert not ConflictDeclaration.objects.exists()
    client.post(
        reverse("selection:declare", args=args),
        {f"conflict_{montreuil.pk}": "non", f"conflict_{ivry.pk}": "oui"},
    )
    assert ConflictDeclaration.objects.filter(member=w.vice).count() == 2
    data = {f"value_{c.pk}": "4" for c in w.criteria}
    data[f"value_{w.criteria[0].pk}"] = "9"
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "entre 0 et 5" in refused.content.decode()
    assert not Score.objects.exists()
    data[f"value_{w.criteria[0].pk}"] = "5"
    data[f"comment_{w.criteria[0].pk}"] = "Très précis"
    assert client.post(url, data).status_code == 302
    assert Score.objects.filter(member=w.vice, application=montreuil).count() == 5
    conflicted = client.get(reverse("selection:application", args=[*args, ivry.pk]))
    assert "Notes masquées" in conflicted.content.decode()
    ranking = client.get(reverse("selection:ranking", args=args)).content.decode()
    assert "Notes masquées (conflit d'intérêts déclaré)" in ranking
    assert "5,00" in ranking or "5.00" in ranking


def test_documents_are_served_to_the_committee_as_attachments(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world()
    montreuil = w.applications[0]
    required = RequiredDocument.objects.create(call=w.call, label="Courrier du maire")
    doc = ApplicationDocument(
        application=montreuil,
        required_document=required,
        original_name="courrier.pdf",
        size=9,
        sha256="0" * 64,
        uploaded_by=montreuil.created_by,
    )
    doc.file.save("x.pdf", ContentFile(b"%PDF-1.4\n"), save=False)
    doc.save()
    login(client, w.group.user)
    url = reverse("selection:document", args=[w.funder.pk, w.call.pk, montreuil.pk, doc.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.APPLICATION_DOCUMENT_DOWNLOADED
    ).exists()


def _scored(w):
    montreuil, ivry, _ = w.applications
    for member in w.voting:
        declare_all(member, w.applications)
    score(w.president, montreuil, [5, 4, 4, 5, 3])
    score(w.vice, montreuil, [4, 4, 5, 5, 2])
    score(w.group, ivry, [3, 3, 3, 3, 3])


def test_the_chair_builds_and_validates_the_proposal_then_the_admin_records_the_vote(
    client, django_capture_on_commit_callbacks
):
    w = world()
    montreuil, ivry, _ = w.applications
    _scored(w)
    args = [w.funder.pk, w.call.pk]
    login(client, w.president.user)
    page = client.get(reverse("selection:proposal", args=args)).content.decode()
    assert "Montreuil" in page and "Favorable" in page
    bad = client.post(
        reverse("selection:proposal", args=args),
        {f"include_{montreuil.pk}": "on", f"booklets_{montreuil.pk}": ""},
    )
    assert bad.status_code == 400
    assert "Indiquez le nombre de carnets prévus pour Montreuil" in bad.content.decode()
    client.post(
        reverse("selection:proposal", args=args),
        {f"include_{montreuil.pk}": "on", f"booklets_{montreuil.pk}": "450", "comment": "Ok"},
    )
    assert Proposal.objects.get().items.get().booklets_planned == 450
    page = client.get(reverse("selection:proposal", args=args)).content.decode()
    assert "Toutes les notes ne sont pas encore données" in page
    assert "Ivry-sur-Seine : 1 membre sur 3 attendus" in page
    client.post(reverse("selection:validate", args=args))
    assert Proposal.objects.get().is_validated
    client.logout()

    login(client, w.admin)
    page = client.get(reverse("selection:vote", args=args)).content.decode()
    assert "Montreuil — 450 carnets" in page
    bad = client.post(
        reverse("selection:vote", args=args),
        {
            "voted_on": "2021-11-17",
            "deliberation_number": "",
            "votes_for": "-1",
            "votes_against": "0",
            "votes_abstaining": "0",
        },
    )
    assert bad.status_code == 400
    assert not BureauVote.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ok = client.post(
            reverse("selection:vote", args=args),
            {
                "voted_on": "2021-11-17",
                "deliberation_number": "CB2021/11/17-03",
                "votes_for": "30",
                "votes_against": "2",
                "votes_abstaining": "3",
                "selected": [str(montreuil.pk)],
            },
        )
    assert ok.status_code == 302
    montreuil.refresh_from_db()
    assert montreuil.status == ApplicationStatus.SELECTED
    assert Territory.objects.get(commune=montreuil.commune).booklets_allocated == 450
    assert len(mail.outbox) == 2
    again = client.post(
        reverse("selection:vote", args=args),
        {
            "voted_on": "2021-11-18",
            "deliberation_number": "AUTRE",
            "votes_for": "1",
            "votes_against": "0",
            "votes_abstaining": "0",
            "selected": [str(ivry.pk)],
        },
    )
    assert again.status_code == 302
    assert BureauVote.objects.count() == 1

    pdf = client.get(reverse("selection:decision_pdf", args=args))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "CB2021/11/17-03" in text
    assert "17/11/2021" in text
    assert "Voix pour : 30" in text and "voix contre : 2" in text and "abstentions : 3" in text
    assert "Montreuil" in text and "450" in text
    assert "Communes non retenues (1)" in text and "Ivry-sur-Seine" in text
    assert w.call.title in text


def test_exports_parse_back(client):
    w = world()
    _scored(w)
    args = [w.funder.pk, w.call.pk]
    login(client, w.vice.user)
    response = client.get(reverse("selection:export_applications", args=[*args, "csv"]))
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    header, data = rows[0], rows[1:]
    assert header[0] == "Commune" and "Total pondéré" in header and "Rang" in header
    by_name = {r[0]: dict(zip(header, r, strict=True)) for r in data}
    assert set(by_name) == {"Montreuil", "Ivry-sur-Seine"}
    # Montreuil: means 4.5, 4, 4.5, 5, 2.5 with weights 1, 1, 2, 2, 1 → 4.5+4+9+10+2.5 = 30
    assert by_name["Montreuil"]["Total pondéré"] == "30,00"
    assert by_name["Montreuil"]["Rang"] == "1"
    assert by_name["Montreuil"]["Notateurs"] == "2"
    assert by_name["Ivry-sur-Seine"]["Total pondéré"] == "21,00"  # 3 × (1+1+2+2+1)

    xlsx = client.get(reverse("selection:export_applications", args=[*args, "xlsx"]))
    sheet = read_xlsx(xlsx.content)
    assert sheet[0][0] == "Commune"
    assert {row[0] for row in sheet[1:]} == {"Montreuil", "Ivry-sur-Seine"}

    scores = read_xlsx(client.get(reverse("selection:export_scores", args=[*args, "xlsx"])).content)
    assert scores[0][:4] == ["Commune", "Membre du comité", "Fonction", "Critère"]
    assert len(scores) == 1 + 15
    scores_csv = client.get(reverse("selection:export_scores", args=[*args, "csv"]))
    assert scores_csv.content.startswith("\ufeff".encode())
    assert client.get(reverse("selection:export_scores", args=[*args, "pdf"])).status_code == 404
    assert JournalEntry.objects.filter(action=JournalEntry.Action.EXPORT_DOWNLOADED).count() == 4


def test_conflicted_member_exports_leave_the_application_out(client):
    w = world()
    montreuil, ivry, _ = w.applications
    for member in (w.president, w.vice):
        declare_all(member, w.applications)
    services.declare_interests(
        w.group,
        [services.Declaration(montreuil.pk, True), services.Declaration(ivry.pk, False)],
        by=w.group.user,
    )
    score(w.president, montreuil, [5, 5, 5, 5, 5])
    login(client, w.group.user)
    args = [w.funder.pk, w.call.pk]
    rows = read_xlsx(client.get(reverse("selection:export_scores", args=[*args, "xlsx"])).content)
    assert len(rows) == 1
    apps = read_xlsx(
        client.get(reverse("selection:export_applications", args=[*args, "xlsx"])).content
    )
    montreuil_row = next(r for r in apps if r[0] == "Montreuil")
    assert "conflit d'intérêts" in montreuil_row


def test_workspace_links_follow_the_seat_and_the_role(client):
    w = world()
    detail = reverse("organisations:detail", args=[w.funder.pk])
    login(client, w.vice.user)
    page = client.get(detail).content.decode()
    assert "Comité d'examen" in page
    assert "Composition du comité et vote du Bureau" not in page
    client.logout()
    login(client, w.admin)
    page = client.get(detail).content.decode()
    assert "Composition du comité et vote du Bureau" in page
    client.logout()
    staff = make_member(w.funder, Role.MEMBER).user
    login(client, staff)
    page = client.get(detail).content.decode()
    assert "Comité d'examen" not in page
    calls = client.get(reverse("selection:calls", args=[w.funder.pk])).content.decode()
    assert "Vous ne siégez au comité d'examen d'aucun appel" in calls


def test_empty_states(client):
    w = world()
    args = [w.funder.pk, w.call.pk]
    login(client, w.admin)
    assert (
        "après la validation" in client.get(reverse("selection:vote", args=args)).content.decode()
    )
    login(client, w.president.user)
    ranking = client.get(reverse("selection:ranking", args=args)).content.decode()
    assert "—" in ranking
    assert client.get(reverse("selection:decision_pdf", args=args)).status_code == 404
    assert date.today()


def test_the_chair_delegates_from_the_committee_screen(client):
    w = world()
    args = [w.funder.pk, w.call.pk]
    login(client, w.president.user)
    board = client.get(reverse("selection:board", args=args)).content.decode()
    assert "Déléguer la présidence" in board
    response = client.post(
        reverse("selection:delegate", args=args), {"to_member": w.group.pk, "note": "Absence"}
    )
    assert response.status_code == 302 and response.url.endswith(f"/appels/{w.call.pk}/")
    w.group.refresh_from_db()
    assert w.group.is_chair
    # The former chair can no longer validate, nor delegate again.
    assert client.post(reverse("selection:validate", args=args)).status_code == 403
    assert client.post(reverse("selection:delegate", args=args)).status_code == 403
    client.logout()
    login(client, w.admin)
    history = client.get(reverse("selection:committee", args=args)).content.decode()
    assert "a délégué la présidence à" in history and "Absence" in history
