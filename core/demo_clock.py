"""A demo-only clock: run one step of the demo as if it happened at a past moment.

DEMO ONLY. Used by ``core.demo_ledger`` to replay a programme's history (order, hand-downs,
hand-outs, redemptions over several months) through the real services. Application code never
imports this module: the services read ``django.utils.timezone.now()`` / ``localdate()`` as
usual, and ``at`` patches ``django.utils.timezone.now`` for the duration of one step only.

Checked for the code paths the demo uses (ledger services, custody, redemption, events,
beneficiaries, journal): every timestamp they write comes from ``timezone.now()`` (called
through the module, or ``auto_now_add`` which does the same), none from an SQL ``now()`` /
``CURRENT_TIMESTAMP`` default nor from ``Now()``, so the whole step is dated consistently.
A moment in the future is refused: the demo never writes a history that has not happened.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from unittest import mock

from django.utils import timezone


class DemoClockError(ValueError):
    """A demo step dated in the future or without a time zone."""


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    """Inside the block, ``timezone.now()`` returns ``moment`` (aware, in the past)."""
    if timezone.is_naive(moment):
        raise DemoClockError("L'horloge de démonstration attend une date avec fuseau horaire.")
    if moment > timezone.now():
        raise DemoClockError("L'horloge de démonstration ne date rien dans le futur.")
    frozen = moment.astimezone(UTC)
    with mock.patch("django.utils.timezone.now", new=lambda: frozen):
        yield frozen
