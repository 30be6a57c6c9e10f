import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from ledger.models import Pass, PassEvent, PassStatus
from ledger.tests import factories
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db


def _drop_event_guard():
    """Inside the test's transaction only: let a raw UPDATE reach an event row, as an attacker
    with database access could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE ledger_passevent DISABLE TRIGGER ledger_passevent_append_only"
            )
        else:
            cursor.execute("DROP TRIGGER ledger_passevent_append_only")


def test_clean_ledger_verifies(capsys):
    order = factories.order(booklets=2)
    report = verify_ledger()
    assert report.ok and report.passes == 20 and report.events == 2
    call_command("verify_ledger")
    assert "0 écart" in capsys.readouterr().out
    call_command("verify_ledger", "--order", order.reference)


def test_cached_state_without_event_is_reported(capsys):
    order = factories.order(booklets=1)
    p = Pass.objects.filter(order=order).first()
    Pass.objects.filter(pk=p.pk).update(status=PassStatus.CANCELLED)  # bypasses the services
    report = verify_ledger()
    assert len(report.mismatches) == 1 and p.serial in str(report.mismatches[0])
    with pytest.raises(SystemExit):
        call_command("verify_ledger")


def test_a_changed_event_row_is_detected():
    factories.order(booklets=1)
    event = PassEvent.objects.get(kind="ACTIVATED")
    _drop_event_guard()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE ledger_passevent SET to_status = 'CANCELLED' WHERE id = %s", [event.pk]
        )
    problems = [str(m) for m in verify_ledger().mismatches]
    assert any("signature invalide" in p for p in problems)


def test_events_cannot_be_changed_through_the_orm_nor_the_database():
    factories.order(booklets=1)
    event = PassEvent.objects.first()
    with pytest.raises(PassEvent.Immutable):
        event.save()
    with pytest.raises(PassEvent.Immutable):
        event.delete()
    with pytest.raises(PassEvent.Immutable):
        PassEvent.objects.all().update(reason="x")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_passevent SET reason = 'x' WHERE id = %s", [event.pk])


def test_unknown_order_reference_is_a_french_error():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Commande inconnue"):
        call_command("verify_ledger", "--order", "CMD-0000")
