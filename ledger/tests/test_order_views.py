"""The funder's order pages: list, create, detail, confirm, issue (background job), activate."""

from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from jobs.models import Job
from journal.models import JournalEntry
from ledger import services
from ledger.forms import parse_euros_to_cents
from ledger.models import Booklet, Order, OrderStatus, Pass, PassStatus
from ledger.order_tasks import start_issue_job
from ledger.queries import ISSUE_JOB_KIND, issue_exclusive_key
from ledger.templatetags.ledger_money import euros
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user
from programmes.models import Programme

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


@dataclass
class World:
    programme: Programme
    funder: Organisation
    issuer: Organisation
    funder_admin: User
    funder_member: User
    funder_readonly: User
    issuer_admin: User
    issuer_member: User
    outsider: User  # admin of another funder, with its own programme
    other_programme: Programme


@pytest.fixture
def world(db) -> World:
    return make_world()


def make_world() -> World:
    """A funder's programme, members of every role of the funder and of its issuer, and an admin
    of another funder (with its own programme, served by the same issuer)."""
    programme = factories.programme()
    funder, issuer = programme.funder, programme.issuer
    users = {}
    for name, org, role in [
        ("funder_admin", funder, Role.ADMIN),
        ("funder_member", funder, Role.MEMBER),
        ("funder_readonly", funder, Role.READONLY),
        ("issuer_admin", issuer, Role.ADMIN),
        ("issuer_member", issuer, Role.MEMBER),
    ]:
        users[name] = make_member(org, role).user
    other_funder = make_org("Département de la Seine-Saint-Denis", kind=Organisation.Kind.FUNDER)
    outsider = make_member(other_funder, Role.ADMIN).user
    other_programme = Programme.objects.create(
        funder=other_funder,
        issuer=issuer,
        name="Pass numérique 93",
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
    )
    return World(programme, funder, issuer, outsider=outsider, other_programme=other_programme,
                 **users)  # fmt: skip


def page_text(response) -> str:
    """The page's HTML with entities decoded (« l'instant », not « l&#x27;instant »)."""
    return unescape(response.content.decode())


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def draft(world: World, **extra) -> Order:
    return services.create_order(
        world.programme,
        by=world.funder_admin,
        booklet_count=extra.pop("booklet_count", 2),
        valid_until=extra.pop("valid_until", date(2099, 12, 31)),
        **extra,
    )


def confirmed(world: World, **extra) -> Order:
    return services.confirm_order(draft(world, **extra), by=world.funder_admin)


def issued(world: World, **extra) -> Order:
    order = confirmed(world, **extra)
    services.issue_order(order.pk, by=world.funder_admin)
    order.refresh_from_db()
    return order


def snapshot(order: Order) -> tuple:
    order.refresh_from_db()
    return (
        order.status,
        order.payment_reference,
        order.issued_at,
        Pass.objects.filter(order=order).count(),
        Job.objects.filter(kind=ISSUE_JOB_KIND).count(),
    )


# --- French money ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, f"0,00{NBSP}€"),
        (5, f"0,05{NBSP}€"),
        (1000, f"10,00{NBSP}€"),
        (123456, f"1{NBSP}234,56{NBSP}€"),
        (15_500_000, f"155{NBSP}000,00{NBSP}€"),
        (-1050, f"-10,50{NBSP}€"),
    ],
)
def test_euros_filter(cents, text):
    assert euros(cents) == text


def test_euros_filter_on_nothing():
    assert euros(None) == ""
    assert euros("abc") == ""


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("10,00", 1000),
        ("10", 1000),
        ("10,5", 1050),
        ("0,01", 1),
        (" 1 234,56 € ", 123456),
        (f"1{NBSP}000,00", 100000),
        ("1\u202f000", 100000),
        ("19,99", 1999),
    ],
)
def test_parse_french_amounts(text, cents):
    assert parse_euros_to_cents(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Indiquez la valeur faciale"),
        ("10.00", "virgule"),
        ("10,001", "au plus deux chiffres"),
        ("-5", "Montant invalide"),
        ("dix", "Montant invalide"),
        ("1 00,00", "groupez les milliers"),
        ("1e3", "Montant invalide"),
        (",50", "Montant invalide"),
    ],
)
def test_parse_french_amounts_refuses(text, message):
    with pytest.raises(ValidationError, match=message):
        parse_euros_to_cents(text)


# --- List ------------------------------------------------------------------------------------


def test_list_shows_the_funders_orders_with_counters(world):
    activated = factories.order(world.programme, booklets=2)
    draft(world, booklet_count=3)
    foreign = services.create_order(
        world.other_programme, by=world.outsider, booklet_count=1, valid_until=date(2099, 1, 1)
    )
    response = client_for(world.funder_member).get(reverse("ledger:orders"))
    assert response.status_code == 200
    html = page_text(response)
    assert "2 commandes de Métropole du Grand Paris" in html
    assert activated.reference in html
    assert foreign.reference not in html
    row = response.context["page"].object_list[1]
    assert row.pk == activated.pk
    assert row.counters["issued"] == 20
    assert row.counters["in_stock"] == 20
    assert f"200,00{NBSP}€" in html
    assert "Nouvelle commande" in html


def test_list_is_paginated(world):
    for _ in range(27):
        draft(world, booklet_count=1)
    client = client_for(world.funder_admin)
    first = client.get(reverse("ledger:orders"))
    assert len(first.context["page"].object_list) == 25
    assert "Page 1 sur 2" in page_text(first)
    second = client.get(reverse("ledger:orders") + "?page=2")
    assert len(second.context["page"].object_list) == 2


def test_list_empty_states(world):
    response = client_for(world.funder_admin).get(reverse("ledger:orders"))
    assert "Aucune commande pour l'instant" in page_text(response)
    readonly = client_for(world.funder_readonly).get(reverse("ledger:orders"))
    assert "Aucune commande pour l'instant" in page_text(readonly)
    assert "Nouvelle commande" not in page_text(readonly)
    prescriber = make_member(make_org("CCAS de Bondy"), Role.ADMIN).user
    other = client_for(prescriber).get(reverse("ledger:orders"))
    assert other.status_code == 200
    assert "n'en passe ni n'en reçoit" in page_text(other)


def test_the_issuer_lists_the_orders_it_receives(world):
    order = draft(world)
    response = client_for(world.issuer_member).get(reverse("ledger:orders"))
    html = page_text(response)
    assert order.reference in html
    assert "1 commande reçue par Émetteur" in html
    assert "Nouvelle commande" not in html


def test_a_member_of_another_funder_does_not_list_them(world):
    order = draft(world)
    response = client_for(world.outsider).get(reverse("ledger:orders"))
    assert order.reference not in page_text(response)


def test_pages_need_a_login(world):
    order = draft(world)
    for url in [reverse("ledger:orders"), reverse("ledger:order_detail", args=[order.pk])]:
        response = Client().get(url)
        assert response.status_code == 302
        assert "/compte/connexion/" in response["Location"]


def test_the_workspace_links_to_the_orders(world):
    funder_page = client_for(world.funder_admin).get(
        reverse("organisations:detail", args=[world.funder.pk])
    )
    assert reverse("ledger:orders") in page_text(funder_page)
    prescriber = make_member(make_org("CCAS de Bondy"), Role.ADMIN)
    other_page = client_for(prescriber.user).get(
        reverse("organisations:detail", args=[prescriber.organisation_id])
    )
    assert reverse("ledger:orders") not in page_text(other_page)


# --- Create ----------------------------------------------------------------------------------


def form_data(world: World, **extra) -> dict:
    data = {
        "programme": world.programme.pk,
        "booklet_count": "3",
        "passes_per_booklet": "5",
        "face_value": "12,50",
        "valid_until": (timezone.localdate() + timedelta(days=365)).isoformat(),
        "tolerance_days": "15",
        "perimeter": "93066",
        "allowed_themes": ["aide-aux-demarches-administratives"],
        "print_text": "  Offert par la Métropole  ",
        "accept_in_stock": "",
    }
    data.update(extra)
    return {key: value for key, value in data.items() if value is not None}


def test_the_create_form_has_the_defaults(world):
    response = client_for(world.funder_member).get(reverse("ledger:order_create"))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["face_value"].value() == "10,00"
    assert form["tolerance_days"].value() == 31
    assert form["passes_per_booklet"].value() == 10
    assert form["accept_in_stock"].value() is True
    html = page_text(response)
    assert 'value="aide-aux-demarches-administratives"' in html
    assert world.other_programme.name not in html


def test_create_an_order(world):
    response = client_for(world.funder_member).post(
        reverse("ledger:order_create"), form_data(world)
    )
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ledger:order_detail", args=[order.pk])
    assert order.status == OrderStatus.DRAFT
    assert (order.booklet_count, order.passes_per_booklet) == (3, 5)
    assert order.face_value_cents == 1250
    assert order.tolerance_days == 15
    assert list(order.perimeter.values_list("insee_code", flat=True)) == ["93066"]
    assert order.allowed_themes == ["aide-aux-demarches-administratives"]
    assert order.print_text == "Offert par la Métropole"
    assert order.accept_in_stock is False
    assert order.created_by == world.funder_member
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.ORDER_CREATED, object_id=str(order.pk)
    ).exists()


def test_an_empty_perimeter_takes_the_programmes(world):
    client_for(world.funder_admin).post(
        reverse("ledger:order_create"),
        form_data(world, perimeter="", allowed_themes=None, face_value="10"),
    )
    order = Order.objects.get()
    assert order.face_value_cents == 1000
    assert sorted(order.perimeter.values_list("insee_code", flat=True)) == ["93001", "93066"]
    assert order.allowed_themes == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"face_value": "10.00"}, "face_value", "Utilisez la virgule"),
        ({"face_value": "10,001"}, "face_value", "au plus deux chiffres"),
        ({"face_value": "0,00"}, "face_value", "au moins 0,01"),
        ({"face_value": "5 000,00"}, "face_value", "ne peut pas dépasser"),
        ({"face_value": ""}, "face_value", "Indiquez la valeur faciale"),
        ({"booklet_count": "0"}, "booklet_count", "au moins un carnet"),
        ({"booklet_count": "2,5"}, "booklet_count", "nombre entier"),
        ({"passes_per_booklet": "7"}, "passes_per_booklet", "10 ou 5"),
        ({"valid_until": "2020-01-01"}, "valid_until", "dans le passé"),
        ({"valid_until": "31/02/2030"}, "valid_until", "Date invalide"),
        ({"tolerance_days": "-1"}, "tolerance_days", "négative"),
        ({"perimeter": "75056"}, "perimeter", "pas dans le périmètre du programme : 75056"),
        ({"perimeter": "93066 9306"}, "perimeter", "mal formés"),
        ({"allowed_themes": ["cuisine"]}, "allowed_themes", "dans la liste"),
        ({"programme": "999999"}, "programme", "programme de votre organisation"),
        ({"print_text": "x" * 601}, "print_text", "600 caractères"),
    ],
)
def test_bad_input_is_refused_in_french_and_saves_nothing(world, changes, field, message):
    response = client_for(world.funder_admin).post(
        reverse("ledger:order_create"), form_data(world, **changes)
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    assert "Rien n'a été enregistré" in page_text(response)
    assert not Order.objects.exists()
    assert not JournalEntry.objects.filter(action=JournalEntry.Action.ORDER_CREATED).exists()


def test_cannot_order_on_another_funders_programme(world):
    response = client_for(world.funder_admin).post(
        reverse("ledger:order_create"), form_data(world, programme=world.other_programme.pk)
    )
    assert "programme de votre organisation" in " ".join(
        response.context["form"].errors["programme"]
    )
    assert not Order.objects.exists()


def test_create_is_refused_to_readonly_and_non_funders(world):
    url = reverse("ledger:order_create")
    assert client_for(world.funder_readonly).get(url).status_code == 403
    assert client_for(world.funder_readonly).post(url, form_data(world)).status_code == 403
    assert client_for(world.issuer_admin).post(url, form_data(world)).status_code == 403
    assert client_for(make_user()).get(url).status_code == 404  # no organisation at all
    assert not Order.objects.exists()


# --- Detail ----------------------------------------------------------------------------------


def test_detail_shows_fields_totals_and_the_next_step(world):
    order = draft(
        world,
        booklet_count=1550,
        print_text="Offert par la Métropole",
        allowed_themes=["aide-aux-demarches-administratives"],
    )
    response = client_for(world.funder_member).get(reverse("ledger:order_detail", args=[order.pk]))
    assert response.status_code == 200
    html = page_text(response)
    assert f'<dd id="total-commande">155{NBSP}000,00{NBSP}€</dd>' in html
    assert f'<dd id="frais-amont">6{NBSP}200,00{NBSP}€</dd>' in html
    assert f"1{NBSP}550 carnets de 10 pass, soit 15{NBSP}500 pass" in html
    assert "31/12/2099" in html and "31/01/2100" in html  # validity + 31 days of tolerance
    assert "Saint-Denis (93066)" in html and "Aubervilliers (93001)" in html
    assert "Aide aux démarches administratives" in html
    assert "Confirmer la commande" in html
    assert "Aucun pass émis pour l'instant" in html


def test_detail_is_visible_to_the_issuer_but_not_to_others(world):
    order = draft(world)
    url = reverse("ledger:order_detail", args=[order.pk])
    issuer_page = client_for(world.issuer_member).get(url)
    assert issuer_page.status_code == 200
    assert "Confirmer la commande" not in page_text(issuer_page)
    assert client_for(world.funder_readonly).get(url).status_code == 200
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(make_user()).get(url).status_code == 404
    missing = reverse("ledger:order_detail", args=[999999])
    assert client_for(world.funder_admin).get(missing).status_code == 404


def test_detail_shows_the_counters(world):
    order = factories.order(world.programme, booklets=3, passes_per_booklet=5)
    response = client_for(world.funder_admin).get(reverse("ledger:order_detail", args=[order.pk]))
    html = page_text(response)
    assert response.context["counters"]["in_stock_funder"] == 15
    row = '<tr id="compteur-issued"><th scope="row">Pass émis</th><td class="num">15</td></tr>'
    assert row in html
    assert "Carnets entamés" in html
    assert "MANDAT-2021-0042" in html


def test_a_deactivated_member_gets_404(world):
    order = draft(world)
    membership = world.funder.memberships.get(user=world.funder_member)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save()
    url = reverse("ledger:order_detail", args=[order.pk])
    assert client_for(world.funder_member).get(url).status_code == 404


# --- Confirm ---------------------------------------------------------------------------------


def test_confirm(world):
    order = draft(world)
    response = client_for(world.funder_member).post(
        reverse("ledger:order_confirm", args=[order.pk]), follow=True
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.confirmed_at is not None
    assert "est confirmée" in page_text(response)
    assert "Émettre les pass" in page_text(response)


def test_confirm_twice_is_refused_in_french(world):
    order = confirmed(world)
    before = order.confirmed_at
    response = client_for(world.funder_admin).post(
        reverse("ledger:order_confirm", args=[order.pk]), follow=True
    )
    assert "cette étape n'est pas possible maintenant" in page_text(response)
    order.refresh_from_db()
    assert (order.status, order.confirmed_at) == (OrderStatus.CONFIRMED, before)


def test_confirm_permissions(world):
    order = draft(world)
    url = reverse("ledger:order_confirm", args=[order.pk])
    assert client_for(world.funder_readonly).post(url).status_code == 403
    assert client_for(world.issuer_admin).post(url).status_code == 403
    assert client_for(world.outsider).post(url).status_code == 404
    assert client_for(world.funder_admin).get(url).status_code == 405
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


# --- Issue (background job) ------------------------------------------------------------------


def test_issue_runs_the_job_and_shows_the_progress(world, django_capture_on_commit_callbacks):
    order = confirmed(world, booklet_count=3)
    client = client_for(world.funder_member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ledger:order_issue", args=[order.pk]))
    assert response.status_code == 302
    job = Job.objects.get(kind=ISSUE_JOB_KIND)
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert job.exclusive_key == issue_exclusive_key(order.pk)
    assert job.organisation == world.funder
    assert job.created_by == world.funder_member
    assert (job.progress_current, job.progress_total) == (30, 30)
    assert job.message == "3 carnets et 30 pass émis."
    assert Booklet.objects.filter(order=order).count() == 3
    assert Pass.objects.filter(order=order, status=PassStatus.ISSUED).count() == 30
    order.refresh_from_db()
    assert order.is_issued
    html = page_text(client.get(reverse("ledger:order_detail", args=[order.pk])))
    assert f'id="job-{job.pk}-barre"' in html
    assert "Terminée" in html
    assert "Activer la commande" in html
    assert "Émettre les pass" not in html


def test_the_issuers_admin_may_start_the_issuance(world, django_capture_on_commit_callbacks):
    order = confirmed(world)
    with django_capture_on_commit_callbacks(execute=True):
        client_for(world.issuer_admin).post(reverse("ledger:order_issue", args=[order.pk]))
    assert Job.objects.get(kind=ISSUE_JOB_KIND).status == Job.Status.SUCCEEDED
    assert Pass.objects.filter(order=order).count() == 20


def test_issue_permissions(world):
    order = confirmed(world)
    url = reverse("ledger:order_issue", args=[order.pk])
    assert client_for(world.funder_readonly).post(url).status_code == 403
    assert client_for(world.issuer_member).post(url).status_code == 403
    assert client_for(world.outsider).post(url).status_code == 404
    assert snapshot(order)[3:] == (0, 0)


def test_issue_of_a_draft_or_an_issued_order_is_refused(world):
    order = draft(world)
    client = client_for(world.funder_admin)
    response = client.post(reverse("ledger:order_issue", args=[order.pk]), follow=True)
    assert "doit être confirmée avant l'émission" in page_text(response)
    done = issued(world)
    before = snapshot(done)
    response = client.post(reverse("ledger:order_issue", args=[done.pk]), follow=True)
    assert "sont déjà émis" in page_text(response)
    assert snapshot(done) == before
    assert not Job.objects.exists()


def test_a_second_start_while_the_job_is_pending_is_refused(
    world, django_capture_on_commit_callbacks
):
    order = confirmed(world)
    with django_capture_on_commit_callbacks(execute=False):
        pending = start_issue_job(order, world.funder_admin)
    response = client_for(world.funder_admin).post(
        reverse("ledger:order_issue", args=[order.pk]), follow=True
    )
    html = page_text(response)
    assert "déjà en cours" in html
    assert Job.objects.filter(kind=ISSUE_JOB_KIND).count() == 1
    # The pending job's progress bar is shown, and no second « Émettre » button.
    assert f'id="job-{pending.pk}-barre"' in html
    assert "Émettre les pass</button>" not in html


def test_the_job_fails_in_french_when_the_order_is_not_confirmed(
    world, django_capture_on_commit_callbacks
):
    order = draft(world)
    with django_capture_on_commit_callbacks(execute=True):
        job = start_issue_job(order, world.funder_admin)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "doit être confirmée avant l'émission des pass" in job.error
    assert not Pass.objects.filter(order=order).exists()


# --- Activate --------------------------------------------------------------------------------


def test_activate(world):
    order = issued(world)
    response = client_for(world.funder_member).post(
        reverse("ledger:order_activate", args=[order.pk]),
        {"payment_reference": "  MANDAT-2021-77 "},
        follow=True,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert order.payment_reference == "MANDAT-2021-77"
    assert Pass.objects.filter(order=order, status=PassStatus.IN_STOCK).count() == 20
    assert "les pass sont utilisables" in page_text(response)


def test_activate_without_a_reference_is_refused(world):
    order = issued(world)
    before = snapshot(order)
    response = client_for(world.funder_member).post(
        reverse("ledger:order_activate", args=[order.pk]), {"payment_reference": "   "}
    )
    assert response.status_code == 200
    assert "numéro de mandat" in " ".join(
        response.context["activate_form"].errors["payment_reference"]
    )
    assert "La commande n'a pas été activée" in page_text(response)
    assert snapshot(order) == before


def test_activate_before_issuance_is_refused(world):
    order = confirmed(world)
    response = client_for(world.funder_member).post(
        reverse("ledger:order_activate", args=[order.pk]), {"payment_reference": "M-1"}, follow=True
    )
    assert "ne sont pas encore émis" in page_text(response)
    order.refresh_from_db()
    assert (order.status, order.payment_reference) == (OrderStatus.CONFIRMED, "")


def test_activate_permissions(world):
    order = issued(world)
    before = snapshot(order)
    url = reverse("ledger:order_activate", args=[order.pk])
    data = {"payment_reference": "M-1"}
    assert client_for(world.funder_readonly).post(url, data).status_code == 403
    assert client_for(world.issuer_admin).post(url, data).status_code == 403
    assert client_for(world.outsider).post(url, data).status_code == 404
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.funder_admin).get(url).status_code == 302
    assert snapshot(order) == before


def test_the_list_costs_the_same_number_of_queries_for_1_or_5_orders(world):
    client = client_for(world.funder_admin)
    factories.order(world.programme, booklets=1)
    client.get(reverse("ledger:orders"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("ledger:orders"))
    for _ in range(4):
        factories.order(world.programme, booklets=1)
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse("ledger:orders"))
    assert len(response.context["page"].object_list) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_order_logo_is_uploaded_checked_and_printed(client, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.models import Order
    from ledger.tests import factories as f
    from organisations.models import Role
    from passnum.testing import make_member

    settings.MEDIA_ROOT = tmp_path
    programme = f.programme()
    admin = make_member(programme.funder, Role.ADMIN)
    client.force_login(admin.user)
    data = {
        "programme": programme.pk,
        "booklet_count": "2",
        "passes_per_booklet": "10",
        "face_value": "10,00",
        "valid_until": "31/12/2099",
        "tolerance_days": "31",
        "perimeter": "",
        "print_text": "",
        "accept_in_stock": "on",
    }
    bad = SimpleUploadedFile("logo.png", b"not an image", "image/png")
    response = client.post("/pass/commandes/nouvelle/", {**data, "logo": bad})
    assert response.status_code == 200
    assert "PNG, JPEG ou WebP" in response.content.decode()
    assert not Order.objects.exists()
    good = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png")
    response = client.post("/pass/commandes/nouvelle/", {**data, "logo": good})
    assert response.status_code == 302, response.content.decode()[:2000]
    order = Order.objects.get()
    assert order.logo and str(tmp_path) in order.logo.path
