"""The orders API: /api/v1/orders (list, detail with counters, create, confirm, issue, activate)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from api import services as api_services
from jobs.models import Job
from ledger.models import Order, OrderStatus, Pass, PassStatus
from ledger.order_tasks import start_issue_job
from ledger.queries import ISSUE_JOB_KIND
from ledger.tests import factories

from .test_order_views import World, confirmed, draft, issued, make_world, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return make_world()


def api(user) -> Client:
    _, clear = api_services.create_token(user, "Intégration", actor=user)
    return Client(headers={"Authorization": f"Bearer {clear}"})


def post(client: Client, url: str, data: dict | None = None):
    return client.post(url, json.dumps(data or {}), content_type="application/json")


def payload(world: World, **extra) -> dict:
    data = {
        "programme_id": world.programme.pk,
        "booklet_count": 3,
        "passes_per_booklet": 5,
        "face_value_cents": 1250,
        "valid_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "tolerance_days": 15,
        "perimeter": ["93066"],
        "allowed_themes": ["aide-aux-demarches-administratives"],
        "print_text": "Offert par la Métropole",
        "accept_in_stock": False,
    }
    data.update(extra)
    return data


# --- Read ------------------------------------------------------------------------------------


def test_list_my_orders(world):
    mine = draft(world)
    services_order = factories.order(world.other_programme, booklets=1, status="DRAFT")
    data = api(world.funder_readonly).get("/api/v1/orders").json()
    assert data["count"] == 1
    item = data["items"][0]
    assert item["id"] == mine.pk
    assert item["reference"] == mine.reference
    assert item["status"] == "DRAFT"
    assert item["status_label"] == "Brouillon"
    assert item["funder"]["name"] == "Métropole du Grand Paris"
    assert item["face_value_total_cents"] == 20_000
    assert item["upstream_fee_cents"] == 800
    assert item["perimeter"] == ["93001", "93066"]
    # The issuer sees the orders it receives, from both funders.
    assert api(world.issuer_member).get("/api/v1/orders").json()["count"] == 2
    # The other funder sees only its own.
    other = api(world.outsider).get("/api/v1/orders").json()
    assert [o["id"] for o in other["items"]] == [services_order.pk]


def test_get_an_order_with_its_counters(world):
    order = factories.order(world.programme, booklets=2)
    response = api(world.issuer_member).get(f"/api/v1/orders/{order.pk}")
    assert response.status_code == 200
    data = response.json()
    assert data["counters"]["issued"] == 20
    assert data["counters"]["in_stock_funder"] == 20
    assert data["counters"]["booklets"] == 2
    assert data["payment_reference"] == "MANDAT-2021-0042"


def test_another_organisation_gets_404(world):
    order = draft(world)
    response = api(world.outsider).get(f"/api/v1/orders/{order.pk}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Commande introuvable."}
    assert api(world.outsider).get("/api/v1/orders/999999").status_code == 404


def test_anonymous_gets_401(world):
    assert Client().get("/api/v1/orders").status_code == 401


# --- Create ----------------------------------------------------------------------------------


def test_create_an_order(world):
    response = post(api(world.funder_member), "/api/v1/orders", payload(world))
    assert response.status_code == 201, response.content
    data = response.json()
    order = Order.objects.get()
    assert data["id"] == order.pk
    assert data["status"] == "DRAFT"
    assert (order.booklet_count, order.passes_per_booklet, order.face_value_cents) == (3, 5, 1250)
    assert data["face_value_total_cents"] == 18_750
    assert list(order.perimeter.values_list("insee_code", flat=True)) == ["93066"]
    assert order.allowed_themes == ["aide-aux-demarches-administratives"]
    assert order.accept_in_stock is False
    assert order.created_by == world.funder_member
    assert data["counters"]["issued"] == 0


def test_create_with_defaults(world):
    response = post(
        api(world.funder_admin),
        "/api/v1/orders",
        {"programme_id": world.programme.pk, "booklet_count": 1, "valid_until": "2099-12-31"},
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["passes_per_booklet"], data["face_value_cents"], data["tolerance_days"]) == (
        10,
        1000,
        31,
    )
    assert data["perimeter"] == ["93001", "93066"]
    assert data["accept_in_stock"] is True


@pytest.mark.parametrize(
    ("changes", "status", "reason", "message"),
    [
        ({"face_value_cents": 0}, 400, "invalid_face_value", "au moins 0,01"),
        ({"face_value_cents": 500_000}, 400, "invalid_face_value", "ne peut pas dépasser"),
        ({"valid_until": "2020-01-01"}, 400, "invalid_valid_until", "dans le passé"),
        ({"perimeter": ["75056"]}, 400, "invalid_perimeter", "75056"),
        ({"perimeter": ["7505"]}, 400, "invalid_perimeter", "mal formés"),
    ],
)
def test_bad_input_is_refused_in_french(world, changes, status, reason, message):
    response = post(api(world.funder_admin), "/api/v1/orders", payload(world, **changes))
    assert response.status_code == status
    data = response.json()
    assert data["reason"] == reason
    assert message in data["detail"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"passes_per_booklet": 7},
        {"booklet_count": 0},
        {"face_value_cents": "10,00"},
        {"allowed_themes": ["cuisine"]},
        {"valid_until": "31/12/2099"},
        {"tolerance_days": -1},
    ],
)
def test_malformed_fields_get_422_in_french(world, changes):
    response = post(api(world.funder_admin), "/api/v1/orders", payload(world, **changes))
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "La requête est invalide : vérifiez les paramètres envoyés."
    )
    assert not Order.objects.exists()


def test_create_permissions(world):
    assert post(api(world.funder_readonly), "/api/v1/orders", payload(world)).status_code == 403
    assert post(api(world.issuer_admin), "/api/v1/orders", payload(world)).status_code == 404
    other = payload(world, programme_id=world.other_programme.pk)
    assert post(api(world.funder_admin), "/api/v1/orders", other).status_code == 404
    missing = payload(world, programme_id=999999)
    assert post(api(world.funder_admin), "/api/v1/orders", missing).status_code == 404
    assert not Order.objects.exists()


# --- Confirm ---------------------------------------------------------------------------------


def test_confirm(world):
    order = draft(world)
    response = post(api(world.funder_member), f"/api/v1/orders/{order.pk}/confirm")
    assert response.status_code == 200
    assert response.json()["status"] == "CONFIRMED"
    again = post(api(world.funder_member), f"/api/v1/orders/{order.pk}/confirm")
    assert again.status_code == 409
    assert again.json()["reason"] == "order_state"
    assert "pas possible maintenant" in again.json()["detail"]


def test_confirm_permissions(world):
    order = draft(world)
    url = f"/api/v1/orders/{order.pk}/confirm"
    assert post(api(world.funder_readonly), url).status_code == 403
    assert post(api(world.issuer_admin), url).status_code == 403
    assert post(api(world.outsider), url).status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


# --- Issue -----------------------------------------------------------------------------------


def test_issue_starts_the_job(world, django_capture_on_commit_callbacks):
    order = confirmed(world)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api(world.issuer_admin), f"/api/v1/orders/{order.pk}/issue")
    assert response.status_code == 202
    data = response.json()
    job = Job.objects.get(pk=data["job_id"])
    assert data["url"] == f"/taches/{job.pk}/"
    assert job.kind == ISSUE_JOB_KIND
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert Pass.objects.filter(order=order, status=PassStatus.ISSUED).count() == 20
    detail = api(world.funder_admin).get(f"/api/v1/orders/{order.pk}").json()
    assert detail["issued_at"] is not None
    assert detail["counters"]["awaiting_activation"] == 20


def test_issue_refusals(world, django_capture_on_commit_callbacks):
    order = draft(world)
    response = post(api(world.funder_admin), f"/api/v1/orders/{order.pk}/issue")
    assert response.status_code == 409
    assert response.json()["reason"] == "order_state"
    assert "doit être confirmée" in response.json()["detail"]
    pending_order = confirmed(world)
    with django_capture_on_commit_callbacks(execute=False):
        pending = start_issue_job(pending_order, world.funder_admin)
    busy = post(api(world.funder_admin), f"/api/v1/orders/{pending_order.pk}/issue")
    assert busy.status_code == 409
    assert busy.json() == {
        "detail": "L'émission de cette commande est déjà en cours.",
        "reason": "job_already_active",
        "job_id": str(pending.pk),
    }
    assert Job.objects.count() == 1
    done = issued(world)
    again = post(api(world.funder_admin), f"/api/v1/orders/{done.pk}/issue")
    assert again.status_code == 409
    assert "déjà émis" in again.json()["detail"]


def test_issue_permissions(world):
    order = confirmed(world)
    url = f"/api/v1/orders/{order.pk}/issue"
    assert post(api(world.funder_readonly), url).status_code == 403
    assert post(api(world.issuer_member), url).status_code == 403
    assert post(api(world.outsider), url).status_code == 404
    assert not Job.objects.exists()
    assert not Pass.objects.exists()


# --- Activate --------------------------------------------------------------------------------


def test_activate(world):
    order = issued(world)
    response = post(
        api(world.funder_member),
        f"/api/v1/orders/{order.pk}/activate",
        {"payment_reference": "MANDAT-2021-77"},
    )
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ACTIVATED"
    assert data["payment_reference"] == "MANDAT-2021-77"
    assert data["counters"]["in_stock_funder"] == 20


def test_activate_refusals(world):
    order = issued(world)
    before = snapshot(order)
    blank = post(
        api(world.funder_admin), f"/api/v1/orders/{order.pk}/activate", {"payment_reference": " "}
    )
    assert blank.status_code == 400
    assert blank.json()["reason"] == "payment_reference_required"
    assert "numéro de mandat" in blank.json()["detail"]
    missing = post(api(world.funder_admin), f"/api/v1/orders/{order.pk}/activate", {})
    assert missing.status_code == 422
    assert snapshot(order) == before
    early = confirmed(world)
    response = post(
        api(world.funder_admin), f"/api/v1/orders/{early.pk}/activate", {"payment_reference": "M"}
    )
    assert response.status_code == 409
    assert response.json()["reason"] == "not_issued"
    early.refresh_from_db()
    assert early.status == OrderStatus.CONFIRMED


def test_activate_permissions(world):
    order = issued(world)
    before = snapshot(order)
    url = f"/api/v1/orders/{order.pk}/activate"
    data = {"payment_reference": "M-1"}
    assert post(api(world.funder_readonly), url, data).status_code == 403
    assert post(api(world.issuer_admin), url, data).status_code == 403
    assert post(api(world.outsider), url, data).status_code == 404
    assert snapshot(order) == before


def test_the_openapi_schema_documents_the_endpoints(world):
    schema = Client().get("/api/v1/openapi.json").json()
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{order_id}",
        "/api/v1/orders/{order_id}/confirm",
        "/api/v1/orders/{order_id}/issue",
        "/api/v1/orders/{order_id}/activate",
    ]:
        assert path in schema["paths"], path
