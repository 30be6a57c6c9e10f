import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import User
from core.demo import DEMO_PASSWORD, PILOT_TERRITORIES
from geo.models import Commune, Intercommunality
from organisations.models import Membership, Organisation
from programmes.models import Programme, Territory

pytestmark = pytest.mark.django_db


@pytest.fixture
def communes():
    mgp = Intercommunality.objects.create(
        code="200054781", name="Métropole du Grand Paris", kind="METRO"
    )
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
                insee_code=code,
                name=name,
                department=code[:2],
                epci=mgp,
                postal_codes=[code[:2] + "000"],
            )


def test_demo_needs_the_communes():
    with pytest.raises(CommandError, match="import_communes"):
        call_command("demo", booklets=200)


def test_demo_builds_the_grand_paris_programme(communes, capsys, client):
    call_command("demo", booklets=200)
    out = capsys.readouterr().out
    assert "| Rôle" in out and DEMO_PASSWORD in out
    programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
    assert programme.funder.name == "Métropole du Grand Paris"
    assert programme.hub.name == "Hub Francil'IN"
    assert Territory.objects.filter(programme=programme, is_pilot=True).count() == 16
    assert programme.perimeter.count() == 17  # 15 communes + Paris + its 2 arrondissements
    for kind in Organisation.Kind.values:
        assert Organisation.objects.filter(kind=kind).exists(), kind
    # A login per role, each reaching its workspace.
    for kind in Organisation.Kind.values:
        user = (
            User.objects.filter(
                email__endswith="@passnum.example",
                memberships__organisation__kind=kind,
            )
            .exclude(email__startswith="admin.")
            .first()
        )
        assert user is not None, kind
        assert user.check_password(DEMO_PASSWORD)
        assert client.login(username=user.email, password=DEMO_PASSWORD)
        response = client.get("/", follow=True)
        assert response.status_code == 200
        client.logout()


def test_demo_is_idempotent(communes):
    call_command("demo", booklets=200)
    counts = (Organisation.objects.count(), User.objects.count(), Membership.objects.count())
    call_command("demo", booklets=200)
    assert counts == (
        Organisation.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


def test_only_the_demo_creates_demo_accounts():
    assert not User.objects.filter(email__endswith="@passnum.example").exists()


def test_multi_organisation_demo_user_can_switch(communes, client):
    call_command("demo", booklets=200)
    user = User.objects.get(email="coordinatrice.paris13@passnum.example")
    assert user.memberships.count() == 2
    client.force_login(user)
    body = client.get(reverse("core:home")).content.decode()
    assert "Vous travaillez pour" in body


def test_demo_ledger_is_realistic_and_verifies(communes):
    from ledger.models import Pass, PassStatus
    from ledger.verification import verify_ledger

    call_command("demo", booklets=200)
    statuses = set(Pass.objects.values_list("status", flat=True))
    assert {
        PassStatus.IN_STOCK,
        PassStatus.DISTRIBUTED,
        PassStatus.REDEEMED,
        PassStatus.CANCELLED,
    } <= statuses
    assert Pass.objects.filter(holder__kind="PRESCRIBER").exists()
    report = verify_ledger()
    assert report.ok, [str(m) for m in report.mismatches][:5]


def test_demo_ledger_replays_months_of_history(communes):
    """The demo ledger is a programme of about eight months: hand-outs over several months,
    redemptions days after, PIC alerts, a dormant prescriber; nothing dated in the future; a
    second run changes nothing."""
    from django.db.models import F
    from django.utils import timezone

    from journal.models import JournalEntry
    from ledger.models import Order, Pass, PassEvent, Transfer
    from ledger.verification import verify_ledger
    from steering.queries import build_dashboard

    call_command("demo", booklets=200)
    programme = Programme.objects.get(name="Pass numérique Grand Paris 2021")
    order = Order.objects.filter(programme=programme).order_by("pk").first()
    assert (timezone.now() - order.created_at).days > 200
    assert order.activated_at > order.issued_at > order.confirmed_at > order.created_at
    now = timezone.now()
    assert PassEvent.objects.filter(created_at__gt=now).count() == 0
    assert JournalEntry.objects.filter(created_at__gt=now).count() == 0
    # Every step is dated by the demo clock, consistently: no use before the hand-out, no receipt
    # before the transfer, a pass's use dated like its redemption.
    assert not Pass.objects.filter(redeemed_at__lt=F("distributed_at")).exists()
    assert not Transfer.objects.filter(acknowledged_at__lt=F("created_at")).exists()
    assert (
        not Pass.objects.filter(redemption__isnull=False)
        .exclude(redeemed_at=F("redemption__created_at"))
        .exists()
    )

    dashboard = build_dashboard([programme])
    active_months = [month for month, line in dashboard.months if line.distributed]
    assert len(active_months) >= 6
    assert dashboard.total.median_delay > 0
    assert 1 <= len(dashboard.alerts) < len(dashboard.lines) // 2
    assert dashboard.total.pic_share >= 50
    dormant = [row for row in dashboard.stock if row.dormant_passes and row.territory]
    assert any(row.holder.kind == Organisation.Kind.PRESCRIBER for row in dormant)
    assert any(row.in_stock and not row.dormant_passes for row in dashboard.stock)
    assert verify_ledger().ok

    events = PassEvent.objects.count()
    call_command("demo", booklets=200)
    assert PassEvent.objects.count() == events
