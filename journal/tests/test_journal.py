import pytest
from django.db import DatabaseError, connection, transaction

from journal.models import JournalEntry
from journal.services import record
from passnum.testing import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry():
    membership = make_member()
    return record(
        JournalEntry.Action.MEMBER_ADDED,
        actor=membership.user,
        organisation=membership.organisation,
        obj=membership,
        details={"role": "ADMIN"},
    )


def test_entry_records_who_what_where(entry):
    assert entry.actor_label == entry.actor.email
    assert entry.object_type == "organisations.Membership"
    assert entry.object_id
    assert entry.created_at is not None


def test_model_refuses_update(entry):
    entry.action = JournalEntry.Action.LOGIN
    with pytest.raises(JournalEntry.Immutable):
        entry.save()


def test_model_refuses_delete(entry):
    with pytest.raises(JournalEntry.Immutable):
        entry.delete()


def test_queryset_refuses_bulk_update_and_delete(entry):
    with pytest.raises(JournalEntry.Immutable):
        JournalEntry.objects.filter(pk=entry.pk).update(action="LOGIN")
    with pytest.raises(JournalEntry.Immutable):
        JournalEntry.objects.all().delete()
    assert JournalEntry.objects.get(pk=entry.pk).action == "MEMBER_ADDED"


def test_database_refuses_update_even_in_raw_sql(entry):
    table = JournalEntry._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET action = 'LOGIN' WHERE id = %s", [entry.pk])
    assert JournalEntry.objects.get(pk=entry.pk).action == "MEMBER_ADDED"


def test_database_triggers_are_installed(entry):
    """PostgreSQL refuses raw DELETE too; SQLite's test flush needs DELETE, so there the
    model and queryset guards above are what refuse deletes."""
    table = JournalEntry._meta.db_table
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [entry.pk])
        assert JournalEntry.objects.filter(pk=entry.pk).exists()
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
            assert [row[0] for row in cursor.fetchall()] == ["journal_journalentry_append_only"]


def test_client_ip_behind_the_proxy_takes_the_last_hop(rf, settings):
    from journal.services import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    settings.BEHIND_TLS_PROXY = False
    assert client_ip(request) == "10.0.0.1"
    settings.BEHIND_TLS_PROXY = True
    assert client_ip(request) == "203.0.113.9"
