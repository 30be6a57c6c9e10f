"""Token writes: journaled, race-free, bounded; constraints hold in the database."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from api import services
from api.models import ApiToken
from journal.models import JournalEntry

pytestmark = pytest.mark.django_db


def test_creation_is_journaled_without_the_secret(user):
    token, clear = services.create_token(user, "Scanner", actor=user)
    entry = JournalEntry.objects.get(action=JournalEntry.Action.API_TOKEN_CREATED)
    assert entry.actor == user
    assert entry.object_type == "api.ApiToken"
    assert entry.object_id == str(token.pk)
    assert entry.details == {"user": user.email, "name": "Scanner", "prefix": token.prefix}
    assert clear.split("_")[2] not in str(entry.details) + entry.object_repr


def test_revocation_is_journaled_once(user, token):
    assert services.revoke_token(token[0], actor=user) is True
    assert services.revoke_token(token[0], actor=user) is False
    entries = JournalEntry.objects.filter(action=JournalEntry.Action.API_TOKEN_REVOKED)
    assert entries.count() == 1
    assert entries.get().actor == user


def test_active_tokens_are_bounded(user, monkeypatch):
    monkeypatch.setattr(services, "MAX_ACTIVE_TOKENS_PER_USER", 2)
    first, _ = services.create_token(user, "Un")
    services.create_token(user, "Deux")
    with pytest.raises(services.ApiTokenError, match="révoquez ceux qui ne servent plus"):
        services.create_token(user, "Trois")
    services.revoke_token(first)
    services.create_token(user, "Trois")


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_name_is_checked(user, name):
    with pytest.raises(services.ApiTokenError):
        services.create_token(user, name)


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"prefix": "ABC"},
        {"token_hash": "not-a-hash"},
        {"revoked_at": timezone.now() - timezone.timedelta(days=1)},
        {"last_used_at": timezone.now() - timezone.timedelta(days=1)},
    ],
)
def test_database_constraints(token, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.filter(pk=token[0].pk).update(**changes)


def test_hash_is_unique(user, token):
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            user=user, name="Copie", prefix=token[0].prefix, token_hash=token[0].token_hash
        )
