"""The counter-payment demo: two finance users with a TOTP device, a debtor account, one PAID run
and one DRAFT complementary run (an operator blocked, then paid); idempotent."""

import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from organisations.models import Membership
from payments.models import PayerBankAccount, PaymentRun, RunStatus
from payments.queries import reconciliation
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
