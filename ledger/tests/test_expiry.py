"""Expiry of passes at the end of validity + tolerance: service, job and command."""

from datetime import date
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from jobs.models import Job
from journal.models import JournalEntry
from ledger import custody
from ledger.custody_tasks import start_expiry
from ledger.models import EventKind, OrderStatus, Pass, PassEvent, PassStatus

from .test_custody_helpers import chain, down_to_prescriber

pytestmark = pytest.mark.django_db

VALID_UNTIL = date(2030, 6, 30)  # tolerance 31 days: redeemable until 31/07/2030


def started_chain():
    c = chain(booklets=2, valid_until=VALID_UNTIL)
    booklets = down_to_prescriber(c, c.booklets()[:1])
    passes = list(Pass.objects.filter(booklet=booklets[0]).order_by("number"))
    with time_machine.travel(date(2030, 6, 1), tick=False):
        custody.hand_out(passes[:2], prescriber=c.prescriber, by=c.prescriber_user)
    custody.cancel_passes(
        passes[2:3], by=c.prescriber_user, organisation=c.prescriber, reason="Perdu"
    )
    return c


def test_nothing_expires_during_the_tolerance():
    c = started_chain()
    assert custody.expire_passes(date(2030, 7, 31)) == 0
    c.order.refresh_from_db()
    assert c.order.status == OrderStatus.ACTIVATED
    assert not PassEvent.objects.filter(kind=EventKind.EXPIRED).exists()


def test_expiry_after_the_tolerance():
    c = started_chain()
    with time_machine.travel(date(2030, 8, 1), tick=False):
        count = custody.expire_passes()
    # 20 passes: 2 distributed + 17 in stock expire; the cancelled one stays cancelled.
    assert count == 19
    statuses = dict(
        Pass.objects.filter(order=c.order)
        .values("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    assert statuses == {PassStatus.EXPIRED: 19, PassStatus.CANCELLED: 1}
    events = PassEvent.objects.filter(kind=EventKind.EXPIRED).order_by("first_number")
    # Runs around the cancelled pass (number 3 of the first booklet).
    assert [e.pass_count for e in events] == [2, 17]
    c.order.refresh_from_db()
    assert c.order.status == OrderStatus.EXPIRED
    assert JournalEntry.objects.filter(action=JournalEntry.Action.PASSES_EXPIRED).count() == 1
    # Running it again changes nothing.
    assert custody.expire_passes(date(2030, 8, 2)) == 0
    assert PassEvent.objects.filter(kind=EventKind.EXPIRED).count() == 2


def test_expiry_job_and_command(django_capture_on_commit_callbacks):
    c = started_chain()
    with django_capture_on_commit_callbacks(execute=True):
        job = start_expiry(today=date(2030, 8, 1))
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["passes"] == 19
    assert "19 pass expiré(s)" in job.message
    out = StringIO()
    call_command("expire_passes", "--date", "2030-08-01", stdout=out)
    assert "0 pass expiré(s)" in out.getvalue()
    c.order.refresh_from_db()
    assert c.order.status == OrderStatus.EXPIRED


def test_command_rejects_a_bad_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("expire_passes", "--date", "01/08/2030")
