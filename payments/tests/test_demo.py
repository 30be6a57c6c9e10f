"""The counter-payment demo: two finance users with a TOTP device, a debtor account, one PAID run
and one DRAFT complementary run (an operator blocked, then paid); idempotent."""

from datetime import date, datetime

import pytest
import time_machine
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from journal.models import JournalEntry
from organisations.models import Membership
from payments.calendar import is_target2_business_day
from payments.models import PayerBankAccount, PaymentRun, RunStatus
from payments.queries import reconciliation
from payments.services import PARIS
from selection.tests.test_demo import communes  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def test_demo_makes_a_paid_and_a_draft_run_and_is_idempotent(communes, capsys):  # noqa: F811
    call_command("demo", booklets=200)
    out = capsys.readouterr().out
    assert "finance@passnum.example" in out and "finance2@passnum.example" in out
    assert "clé TOTP" in out and "otpauth://" in out
    finance = Membership.objects.filter(
        is_finance=True,
        organisation__kind="ISSUER",
        user__email__in=["finance@passnum.example", "finance2@passnum.example"],
    )
    assert finance.count() == 2
    for m in finance:
        assert TOTPDevice.objects.filter(user=m.user, confirmed=True).count() == 1
    assert PayerBankAccount.objects.count() == 1
    runs = {run.status: run for run in PaymentRun.objects.all()}
    assert set(runs) == {RunStatus.PAID, RunStatus.DRAFT}
    paid, draft = runs[RunStatus.PAID], runs[RunStatus.DRAFT]
    assert paid.pass_count > 0 and len(paid.blocked) == 1
    assert draft.pass_count == paid.blocked[0]["passes"] and draft.blocked == []
    assert reconciliation(draft).gaps == []
    assert draft.prepared_by != paid.validated_by
    secret_lines = [line for line in out.splitlines() if "clé TOTP" in line]
    call_command("demo", booklets=200)
    out2 = capsys.readouterr().out
    assert PaymentRun.objects.count() == 2
    assert PayerBankAccount.objects.count() == 1
    assert (
        TOTPDevice.objects.filter(
            user__email__in=["finance@passnum.example", "finance2@passnum.example"]
        ).count()
        == 2
    )
    assert [line for line in out2.splitlines() if "clé TOTP" in line] == secret_lines


@pytest.mark.parametrize(
    "today, export_day, paid_day",
    [
        # Saturday 28/11/2026: exported Thursday 26/11, executed and paid Friday 27/11.
        (date(2026, 11, 28), date(2026, 11, 26), date(2026, 11, 27)),
        # Christmas (Friday 25/12/2026, TARGET2 closed): exported 23/12, paid 24/12.
        (date(2026, 12, 25), date(2026, 12, 23), date(2026, 12, 24)),
    ],
)
def test_demo_pays_its_run_on_the_requested_execution_date_whatever_the_day(
    communes,  # noqa: F811
    today,
    export_day,
    paid_day,
):
    with time_machine.travel(datetime(today.year, today.month, today.day, 10, tzinfo=PARIS)):
        call_command("demo", booklets=200)
    paid = PaymentRun.objects.get(status=RunStatus.PAID)
    assert paid.execution_date == paid.paid_on == paid_day
    assert paid.exported_at.astimezone(PARIS).date() == export_day
    assert paid.period_end < export_day and paid.pass_count > 0
    assert is_target2_business_day(export_day) and is_target2_business_day(paid_day)
    entry = JournalEntry.objects.get(action=JournalEntry.Action.PAYMENT_RUN_PAID)
    assert entry.created_at.astimezone(PARIS).date() == paid_day
    draft = PaymentRun.objects.get(status=RunStatus.DRAFT)
    assert draft.period_end == paid.period_end and draft.pass_count == paid.blocked[0]["passes"]
