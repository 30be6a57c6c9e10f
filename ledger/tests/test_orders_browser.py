"""A funder's order in a real browser: create → confirm → issue (progress bar) → activate, under
the strict CSP and axe-core (Debian's headless Chromium)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot
from jobs.models import Job
from ledger import services
from ledger.models import Order, OrderStatus, Pass, PassStatus
from ledger.queries import ISSUE_JOB_KIND, issue_exclusive_key
from ledger.tests import factories
from organisations.models import Role
from passnum.testing import PASSWORD, make_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def test_a_funder_orders_issues_and_activates_passes(page, axe_check, browser_errors):
    programme = factories.programme()
    funder_admin = make_member(programme.funder, Role.ADMIN).user
    log_in(page, funder_admin.email, PASSWORD)

    # The workspace links to the orders; the list starts empty.
    page.goto(f"/organisations/{programme.funder_id}/")
    page.get_by_role("link", name="Commandes de pass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commandes de pass")
    expect(page.get_by_text("Aucune commande pour l'instant")).to_be_visible()
    axe_check(page)

    # Create: a French error first, nothing saved; then the order.
    page.get_by_role("link", name="Nouvelle commande").click()
    page.get_by_label("Programme").select_option(label=programme.name)
    page.get_by_label("Nombre de carnets").fill("3")
    page.get_by_label("Valeur faciale d'un pass (en euros)").fill("12.50")
    page.locator("#id_valid_until").fill("2099-12-31")
    page.get_by_label("Aide aux démarches administratives").check()
    page.get_by_role("button", name="Créer la commande").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_text("Utilisez la virgule pour séparer les centimes")).to_be_visible()
    assert not Order.objects.exists()
    axe_check(page)
    screenshot(page, "order-create-error")

    page.get_by_label("Valeur faciale d'un pass (en euros)").fill("12,50")
    page.get_by_role("button", name="Créer la commande").click()
    order = Order.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Commande {order.reference}")
    expect(page.locator("#total-commande")).to_have_text(f"375,00{NBSP}€")
    expect(page.locator("#etat-commande")).to_have_text("Brouillon")
    axe_check(page)

    # Confirm.
    page.get_by_role("button", name="Confirmer la commande").click()
    expect(page.locator("#etat-commande")).to_have_text("Confirmée")

    # Issue: the background job runs, the progress bar reaches the end.
    page.get_by_role("button", name="Émettre les pass").click()
    label = f"Émission de la commande {order.reference}"
    bar = page.get_by_role("progressbar", name=label)
    expect(bar).to_have_attribute("value", "30")
    expect(bar).to_have_attribute("max", "30")
    expect(page.locator(".job-progress-bar")).to_contain_text("Terminée")
    expect(page.locator(".job-progress-bar")).to_contain_text("3 carnets et 30 pass émis.")
    assert Job.objects.get().status == Job.Status.SUCCEEDED
    axe_check(page)
    screenshot(page, "order-issued")

    # Activate: an empty payment reference is refused, then the passes go in stock.
    page.get_by_role("button", name="Activer la commande").click()
    expect(page.get_by_text("La commande n'a pas été activée")).to_be_visible()
    axe_check(page)
    page.get_by_label("Référence du paiement (numéro de mandat)").fill("MANDAT-2021-0042")
    page.get_by_role("button", name="Activer la commande").click()
    expect(page.get_by_text(re.compile("les pass sont utilisables"))).to_have_count(2)
    expect(page.locator("#etat-commande")).to_have_text("Activée")
    expect(page.locator("#compteur-in_stock_funder td")).to_have_text("30")
    axe_check(page)
    screenshot(page, "order-activated")

    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVATED
    assert order.face_value_cents == 1250
    assert Pass.objects.filter(order=order, status=PassStatus.IN_STOCK).count() == 30
    errors = [error for error in browser_errors if "/favicon.ico" not in error]
    assert not errors, "\n".join(errors)


def test_the_next_step_appears_when_a_running_issuance_ends(page, axe_check, browser_errors):
    """A worker runs the job elsewhere: the bar polls, and at the end the « next step » section
    refreshes itself (htmx event jobFinished) to offer the activation, without a reload."""
    programme = factories.programme()
    funder_admin = make_member(programme.funder, Role.ADMIN).user
    order = services.confirm_order(
        services.create_order(
            programme, by=funder_admin, booklet_count=2, valid_until=timezone.localdate()
        ),
        by=funder_admin,
    )
    now = timezone.now()
    job = Job.objects.create(
        kind=ISSUE_JOB_KIND,
        label=f"Émission de la commande {order.reference}",
        organisation=order.funder,
        created_by=funder_admin,
        exclusive_key=issue_exclusive_key(order.pk),
        status=Job.Status.RUNNING,
        started_at=now,
        progress_total=20,
        progress_current=5,
    )
    log_in(page, funder_admin.email, PASSWORD)
    page.goto(f"/pass/commandes/{order.pk}/")
    expect(page.get_by_role("progressbar", name=job.label)).to_have_attribute("value", "5")
    expect(page.get_by_role("button", name="Émettre les pass")).to_have_count(0)
    expect(page.get_by_role("button", name="Activer la commande")).to_have_count(0)
    axe_check(page)

    services.issue_order(order.pk, by=funder_admin)  # what the worker does
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        progress_current=20,
        finished_at=timezone.now(),
        message="2 carnets et 20 pass émis.",
    )
    expect(page.get_by_role("button", name="Activer la commande")).to_be_visible()
    expect(page.get_by_role("progressbar", name=job.label)).to_have_attribute("value", "20")
    axe_check(page)
    errors = [error for error in browser_errors if "/favicon.ico" not in error]
    assert not errors, "\n".join(errors)
