"""Small builders shared by the test suites of every app (plain functions, no magic)."""

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, connections

from accounts.models import User
from organisations.models import Membership, Organisation, Role

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(email: str | None = None, **extra) -> User:
    email = email or f"personne{next(_counter)}@exemple.fr"
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_org(
    name: str | None = None, kind: str = Organisation.Kind.PRESCRIBER, **extra
) -> Organisation:
    return Organisation.objects.create(
        name=name or f"Structure {next(_counter)}", kind=kind, **extra
    )


def make_member(
    organisation: Organisation | None = None, role: str = Role.ADMIN, user: User | None = None
) -> Membership:
    return Membership.objects.create(
        user=user or make_user(), organisation=organisation or make_org(), role=role
    )


def run_in_threads(
    attempts: Sequence[Callable[[], Any]], *, refusal: type[Exception] | tuple = ()
) -> list:
    """Runs each attempt in its own thread, with its own database connection (closed at the
    end); the result of each, in order: what it returned, the ``refusal`` exception it raised, or
    ``("unexpected", repr(exc))`` for any other exception (for the assertions to report).

    On PostgreSQL the threads start together (a barrier). SQLite's in-memory test database
    serialises writers, so there the attempts run one after the other in separate threads.
    Use with ``pytest.mark.django_db(transaction=True)``."""
    concurrent = connection.vendor == "postgresql"
    barrier = threading.Barrier(len(attempts)) if concurrent else None
    results: list = [None] * len(attempts)

    def worker(index: int, attempt: Callable[[], Any]) -> None:
        try:
            if barrier is not None:
                barrier.wait(timeout=60)
            results[index] = attempt()
        except refusal as exc:
            results[index] = exc
        except Exception as exc:  # noqa: BLE001 — reported by the assertions
            results[index] = ("unexpected", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(attempts)]
    for t in threads:
        t.start()
        if not concurrent:
            t.join()
    for t in threads:
        t.join()
    return results
