import pytest

from ami.models import Application, ApplicationStatus
from core.demo import PILOT_TERRITORIES
from geo.models import Commune, Intercommunality
from selection.models import CommitteeMember, ConflictDeclaration, Proposal, Score

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    mgp = Intercommunality.objects.create(
        code="200054781", name="Métropole du Grand Paris", kind="METRO"
    )
    est = Intercommunality.objects.create(code="200057875", name="Est Ensemble", kind="EPT")
    paris = Commune.objects.create(insee_code="75056", name="Paris", department="75", epci=mgp)
    for code, name, _ in PILOT_TERRITORIES:
        if code.startswith("751"):
            Commune.objects.create(
                insee_code=code,
                name=name,
                department="75",
                kind="ARRONDISSEMENT",
                parent=paris,
                postal_codes=["75013"],
            )
        else:
            Commune.objects.create(
                insee_code=code, name=name, department=code[:2], epci=mgp, postal_codes=["93000"]
            )
    for code, name in [("93055", "Pantin"), ("93048", "Montreuil"), ("94041", "Ivry-sur-Seine")]:
        Commune.objects.create(
            insee_code=code,
            name=name,
            department=code[:2],
            epci=mgp,
            ept=est if code.startswith("93") else None,
            population=110_000 if code == "93048" else 60_000,
            postal_codes=[code[:2] + "100"],
        )


def _run_demo() -> dict:
    """The demo's foundations, the AMI demo, then ours (what ``manage.py demo`` runs, without
    the ledger and the other apps' extensions)."""
    from ami import demo as ami_demo
    from core.demo import load_demo
    from programmes.models import Programme
    from selection import demo

    load_demo()
    programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
    ami_demo.load(programme)
    return demo.load(programme)


def test_demo_seats_the_committee_scores_and_leaves_the_proposal_open(communes):
    result = _run_demo()
    assert "Comité d'examen" in result["lines"][0]
    assert "president@passnum.example" in {login.email for login in result["logins"]}
    members = CommitteeMember.objects.select_related("user")
    assert members.count() == 7
    chair = members.get(is_chair=True)
    assert chair.user.email == "president@passnum.example"
    assert members.get(function="QUALIFIED_PERSON").user.email == "hub@passnum.example"
    assert {a.status for a in Application.objects.all()} == {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
    }
    montreuil = Application.objects.get(commune__name="Montreuil")
    ivry = Application.objects.get(commune__name="Ivry-sur-Seine")
    assert Score.objects.filter(application=montreuil).count() == 6 * 5
    assert Score.objects.filter(application=ivry).count() == 3 * 5
    assert ConflictDeclaration.objects.filter(application=ivry, has_conflict=True).count() == 1
    assert not Proposal.objects.exists()
    counts = (CommitteeMember.objects.count(), Score.objects.count())
    _run_demo()
    assert counts == (CommitteeMember.objects.count(), Score.objects.count())


def test_demo_without_the_call_says_so(communes):
    from core.demo import load_demo
    from programmes.models import Programme
    from selection import demo

    load_demo()
    result = demo.load(Programme.objects.get(name="Pass numérique Grand Paris 2021"))
    assert "pas d'appel de démonstration" in result["lines"][0]
    assert not CommitteeMember.objects.exists()
