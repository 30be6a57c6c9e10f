"""The operator dashboard: figures on a hand-made fixture, permissions."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from ledger import codes
from ledger.events import record_events
from ledger.models import EventKind, Pass, PassStatus
from ledger.redemption import redeem
from ledger.tests import factories
from ledger.tests.test_redemption import distribute
from operators import dashboard_queries as queries
from operators.models import Service
from organisations.models import Organisation, Role
from passnum.testing import PASSWORD, make_member, make_org, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def items(passes) -> list[tuple[str, str]]:
    return [(p.serial, codes.pass_code(p.order.key_id, p.serial)) for p in passes]


@pytest.fixture
def world():
    """Operator with 2 services; 3 redemptions over 2 months and 2 funders (5 passes)."""
    order_a = factories.order(booklets=1)  # funder « Métropole du Grand Paris », 10,00 € each
    prog_b = factories.programme(name="Pass numérique Seine-Saint-Denis")
    prog_b.funder.name = "Département de la Seine-Saint-Denis"
    prog_b.funder.save()
    order_b = factories.order(prog_b, booklets=1, face_value_cents=1500)
    passes_a = list(Pass.objects.filter(order=order_a).select_related("order").order_by("number"))
    passes_b = list(Pass.objects.filter(order=order_b).select_related("order").order_by("number"))
    distribute(passes_a[:3])
    distribute(passes_b[:2])
    org, place, service = factories.operator("Clic Solidaire")
    workshop = Service.objects.create(
        operator=org, title="Atelier collectif 2 h", theme=Service.Theme.LOISIRS, price_in_passes=2
    )
    user = make_user(first_name="Camille", last_name="Martin")
    make_member(org, Role.MEMBER, user=user)
    common = {"operator": org, "place": place, "by": user}
    with time_machine.travel(datetime(2021, 10, 15, 18, 0, tzinfo=UTC)):
        redeem(service=service, items=items(passes_a[:1]), idempotency_key="k1", **common)
        redeem(service=workshop, items=items(passes_a[1:3]), idempotency_key="k2", **common)
    with time_machine.travel(datetime(2021, 11, 3, 10, 0, tzinfo=UTC)):
        redeem(service=workshop, items=items(passes_b[:2]), idempotency_key="k3", **common)
    # One pass reimbursed (stands in for the finance issue's counter-payment).
    Pass.objects.filter(pk=passes_a[0].pk).update(status=PassStatus.REIMBURSED)
    record_events(
        order_a, EventKind.REIMBURSED, [passes_a[0].number], to_status=PassStatus.REIMBURSED
    )
    return {"org": org, "user": user, "order_a": order_a, "order_b": order_b}


def test_figures_per_month_service_and_funder(world):
    org = world["org"]
    months = queries.by_month(org)
    assert [(m["month"].strftime("%m/%Y"), m["passes"], m["amount_cents"]) for m in months] == [
        ("11/2021", 2, 3000),
        ("10/2021", 3, 3000),
    ]
    assert [m["redemptions"] for m in months] == [1, 2]
    services = queries.by_service(org)
    assert [(s["service__title"], s["passes"], s["amount_cents"]) for s in services] == [
        ("Atelier collectif 2 h", 4, 5000),
        ("Atelier démarches en ligne", 1, 1000),
    ]
    assert services[0]["theme_label"] == "Loisirs et créations numériques"
    funders = queries.by_funder(org)
    assert [
        (f["pass_obj__order__funder__name"], f["passes"], f["amount_cents"]) for f in funders
    ] == [
        ("Métropole du Grand Paris", 3, 3000),
        ("Département de la Seine-Saint-Denis", 2, 3000),
    ]
    totals = queries.money_totals(org)
    assert (totals.pending_passes, totals.pending_cents) == (4, 5000)
    assert (totals.paid_passes, totals.paid_cents) == (1, 1000)
    assert (totals.total_passes, totals.total_cents) == (5, 6000)


def test_figures_of_another_operator_are_not_counted(world):
    other, _, _ = factories.operator("Autre structure")
    assert queries.by_month(other) == []
    assert queries.money_totals(other).total_passes == 0


def test_dashboard_page_shows_french_amounts_members_and_statements_notice(world):
    client = Client()
    client.login(email=world["user"].email, password=PASSWORD)
    response = client.get(reverse("operators:dashboard", args=[world["org"].pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "50,00\u00a0€" in body  # pending
    assert "10,00\u00a0€" in body  # paid
    assert "60,00\u00a0€" in body  # total
    assert "Novembre 2021" in body and "Octobre 2021" in body
    assert "Département de la Seine-Saint-Denis" in body
    assert "Atelier collectif 2 h" in body
    assert "Camille Martin" in body and "Membre" in body
    assert reverse("organisations:members", args=[world["org"].pk]) in body
    assert reverse("payments:operator_statements", args=[world["org"].pk]) in body


def test_empty_dashboard(world):
    other, _, _ = factories.operator("Nouvelle structure")
    admin = make_member(other, Role.ADMIN).user
    client = Client()
    client.login(email=admin.email, password=PASSWORD)
    body = client.get(reverse("operators:dashboard", args=[other.pk])).content.decode()
    assert "Aucun pass encaissé pour l'instant." in body
    assert "0,00\u00a0€" in body


def test_member_of_another_operator_gets_404(world):
    other, _, _ = factories.operator("Autre structure")
    stranger = make_member(other, Role.ADMIN).user
    client = Client()
    client.login(email=stranger.email, password=PASSWORD)
    assert client.get(reverse("operators:dashboard", args=[world["org"].pk])).status_code == 404


def test_anonymous_is_sent_to_login(world):
    response = Client().get(reverse("operators:dashboard", args=[world["org"].pk]))
    assert response.status_code == 302
    assert "/compte/connexion/" in response["Location"]


def test_non_operator_organisation_gets_404():
    funder = make_org("Financeur", kind=Organisation.Kind.FUNDER)
    admin = make_member(funder, Role.ADMIN).user
    client = Client()
    client.login(email=admin.email, password=PASSWORD)
    assert client.get(reverse("operators:dashboard", args=[funder.pk])).status_code == 404


def test_organisation_page_links_to_the_dashboard_for_operators(world):
    client = Client()
    client.login(email=world["user"].email, password=PASSWORD)
    body = client.get(reverse("organisations:detail", args=[world["org"].pk])).content.decode()
    assert reverse("operators:dashboard", args=[world["org"].pk]) in body
