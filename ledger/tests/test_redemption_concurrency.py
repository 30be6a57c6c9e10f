"""Exactly-once redemption under concurrency, with real threads and real connections.

On PostgreSQL every thread has its own connection and they all start together (a
threading.Barrier): the conditional UPDATE, the unique constraints and the deadlock handling are
what keeps the ledger right. SQLite's in-memory test database serialises writers (and a shared-cache
in-memory database refuses concurrent writers with "table is locked"), so on SQLite the same
attempts run through separate threads one after the other; the assertions are the same.
"""

import pytest
from django.core.cache import cache

from ledger import redemption as r
from ledger.models import EventKind, Pass, PassEvent, PassStatus, Redemption, RedemptionLine
from ledger.tests.test_redemption import item, setup_world
from passnum.testing import run_in_threads

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _run_all(attempts) -> list:
    """Run the callables in threads (together on PostgreSQL, one after the other on SQLite)."""
    return run_in_threads(attempts, refusal=r.RedemptionRefused)


def test_fifty_simultaneous_redemptions_of_one_pass():
    order, passes, org, place, service, user = setup_world()
    target = passes[0]

    def attempt(i):
        return lambda: r.redeem(
            operator=org,
            place=place,
            service=service,
            items=[item(target)],
            idempotency_key=f"attempt-{i}",
            by=user,
        )

    results = _run_all([attempt(i) for i in range(50)])
    unexpected = [x for x in results if isinstance(x, tuple)]
    assert not unexpected
    successes = [x for x in results if isinstance(x, r.RedemptionOutcome)]
    refusals = [x for x in results if isinstance(x, r.RedemptionRefused)]
    assert len(successes) == 1 and len(refusals) == 49
    for refusal in refusals:
        assert [v.reason for v in refusal.passes] == [r.ALREADY_REDEEMED]
        assert "déjà été utilisé" in refusal.passes[0].message
    assert PassEvent.objects.filter(kind=EventKind.REDEEMED).count() == 1
    assert RedemptionLine.objects.count() == 1
    assert Redemption.objects.count() == 1
    target.refresh_from_db()
    assert target.status == PassStatus.REDEEMED
    assert target.redemption_id == successes[0].redemption.pk


def test_overlapping_multi_pass_redemptions_are_all_or_nothing():
    order, passes, org, place, service, user = setup_world(price=2, booklets=2)
    # Five rounds of A+B against B+C, each on fresh passes (distributed or in stock).
    rounds = [passes[i : i + 3] for i in range(0, 15, 3)]
    for number, (a, b, c) in enumerate(rounds):

        def attempt(pair, key):
            return lambda: r.redeem(
                operator=org,
                place=place,
                service=service,
                items=[item(p) for p in pair],
                idempotency_key=key,
                by=user,
            )

        results = _run_all([attempt((a, b), f"ab-{number}"), attempt((b, c), f"bc-{number}")])
        assert not [x for x in results if isinstance(x, tuple)], results
        successes = [x for x in results if isinstance(x, r.RedemptionOutcome)]
        refusals = [x for x in results if isinstance(x, r.RedemptionRefused)]
        assert len(successes) == 1 and len(refusals) == 1
        won = set(successes[0].serials)
        assert won in ({a.serial, b.serial}, {b.serial, c.serial})
        loser_only = ({a.serial, c.serial} - won).pop()
        statuses = dict(
            Pass.objects.filter(pk__in=[a.pk, b.pk, c.pk]).values_list("serial", "status")
        )
        assert statuses[b.serial] == PassStatus.REDEEMED
        assert statuses[loser_only] != PassStatus.REDEEMED  # nothing partial
        reasons = {v.serial: v.reason for v in refusals[0].passes}
        assert reasons[b.serial] in (r.ALREADY_REDEEMED, r.CONFLICT)
        assert reasons[loser_only] in (r.VALID, r.CONFLICT)
        assert not RedemptionLine.objects.filter(pass_obj__serial=loser_only).exists()
    assert Redemption.objects.count() == 5
    assert RedemptionLine.objects.count() == 10
    redeemed_events = PassEvent.objects.filter(kind=EventKind.REDEEMED)
    assert sum(e.pass_count for e in redeemed_events) == 10
