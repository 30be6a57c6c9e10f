"""In Chromium: a finance user opens the counter-payments, confirms the second factor, prepares a
run and reads its reconciliation; a second finance user validates and exports it; the operator
reads its « Relevés et paiements ». axe-core finds no serious or critical violation."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def finance_world(transactional_db):
    from payments.tests.helpers import paris, world

    w = world()
    w.redeem(0, w.passes[0:3], paris(2026, 1, 10))
    w.redeem(1, w.passes[3:5], paris(2026, 1, 20))
    # The second operator's bank details are missing: it shows as blocked.
    from operators.models import BankAccount

    BankAccount.objects.filter(operator=w.operators[1][0]).delete()
    return w


def _second_factor(page, user) -> None:
    expect(page.get_by_label("Code à 6 chiffres")).to_be_visible()
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_load_state()


def test_finance_prepares_a_run_and_the_operator_reads_its_statement(
    page, axe_check, browser_errors, finance_world
):
    from passnum.testing import PASSWORD
    from payments import services
    from payments.models import PaymentRun, RunStatus

    w = finance_world
    log_in(page, w.finance[0].email, PASSWORD)
    page.goto(f"/organisations/{w.payer.pk}/")
    page.get_by_role("link", name="Contre-paiements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contre-paiements")
    expect(page.get_by_text("Aucune campagne pour l'instant.")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Préparer une campagne").click()
    _second_factor(page, w.finance[0])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Préparer une campagne de contre-paiement"
    )
    axe_check(page)
    # A date in the future is refused in French; nothing is created.
    page.get_by_label("Fin de la période").fill("2999-01-31")
    page.get_by_role("button", name="Préparer la campagne").click()
    expect(page.get_by_role("alert")).to_contain_text("Rien n'a été enregistré")
    expect(page.get_by_text("La fin de période ne peut pas être dans le futur.")).to_be_visible()
    assert PaymentRun.objects.count() == 0
    page.get_by_label("Fin de la période").fill("2026-01-31")
    page.get_by_role("button", name="Préparer la campagne").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Campagne CP")
    expect(page.get_by_text("Rapprochement sans écart")).to_be_visible()
    expect(page.get_by_text("Aucunes coordonnées bancaires")).to_be_visible()
    expect(page.get_by_text("Quatre yeux : vous avez préparé cette campagne")).to_be_visible()
    axe_check(page)
    screenshot(page, "payments-run-draft")

    # The second finance user validates it through the screens.
    run = PaymentRun.objects.get()
    page.context.clear_cookies()
    log_in(page, w.finance[1].email, PASSWORD)
    page.goto(f"/contre-paiements/{w.payer.pk}/campagnes/{run.pk}/")
    page.get_by_role("button", name="Valider la campagne").click()
    _second_factor(page, w.finance[1])
    # Back on the detail page after the second factor: validate for real.
    page.get_by_role("button", name="Valider la campagne").click()
    expect(page.locator("#run-status")).to_have_text("Validée")
    run.refresh_from_db()
    assert run.status == RunStatus.VALIDATED and run.validated_by == w.finance[1]
    # The execution date: the next TARGET2 business day is offered; a Sunday is refused.
    field = page.get_by_label("Date d'exécution demandée")
    default = services.default_execution_date()
    expect(field).to_have_value(default.isoformat())
    axe_check(page)
    today = services.paris_today()
    sunday = today + timedelta(days=(6 - today.weekday()) or 7)
    field.fill(sunday.isoformat())
    page.get_by_role("button", name="Exporter le fichier SEPA").click()
    expect(
        page.get_by_text(f"Le {sunday:%d/%m/%Y} est un jour de fermeture de TARGET2")
    ).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("Validée")
    screenshot(page, "payments-run-export-date-refused")
    with page.expect_download() as download:
        page.get_by_role("button", name="Exporter le fichier SEPA").click()
    assert download.value.suggested_filename.endswith("pain.001.001.03.xml")
    assert f"<ReqdExctnDt>{default.isoformat()}</ReqdExctnDt>" in download.value.path().read_text()
    page.reload()
    expect(page.locator("#run-status")).to_have_text("Exportée")
    expect(page.locator("#execution-date")).to_contain_text(f"{default:%d/%m/%Y}")
    axe_check(page)
    screenshot(page, "payments-run-exported")
    # The bank executes on the requested date, never before: the page says so, and marking the
    # run paid today is refused in French, nothing changed.
    expect(page.locator("#paid-waits")).to_contain_text(
        f"Le virement a été demandé à la banque pour le {default:%d/%m/%Y}"
    )
    paid_field = page.get_by_label("Date du versement")
    expect(paid_field).to_have_value(default.isoformat())
    paid_field.fill(today.isoformat())
    page.get_by_role("button", name="Marquer la campagne payée").click()
    expect(
        page.get_by_text(
            f"Le virement a été demandé pour le {default:%d/%m/%Y} : il ne peut pas avoir été "
            f"payé le {today:%d/%m/%Y}. Rien n'a été modifié."
        )
    ).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("Exportée")
    axe_check(page)
    screenshot(page, "payments-run-paid-too-early")
    run.refresh_from_db()
    assert run.status == RunStatus.EXPORTED and run.paid_on is None
    with time_machine.travel(
        datetime.combine(default, time(10), tzinfo=services.PARIS), tick=False
    ):
        services.mark_paid(run, paid_on=default, actor=w.finance[1])

    # The operator reads its statements.
    page.context.clear_cookies()
    operator, _, _, operator_admin = w.operators[0]
    log_in(page, operator_admin.email, PASSWORD)
    page.goto(f"/organisations/{operator.pk}/")
    page.get_by_role("link", name="Relevés et paiements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Relevés et paiements")
    expect(page.get_by_role("link", name=f"PDF — relevé {run.reference}")).to_be_visible()
    expect(page.get_by_text("28,80")).to_be_visible()
    axe_check(page)
    screenshot(page, "payments-operator-statements")
    # A download aborts its navigation in Chromium (net::ERR_ABORTED): not an error.
    assert [e for e in browser_errors if "ERR_ABORTED" not in e] == []
