"""Two runs started at once, with real threads and separate connections.

On PostgreSQL both threads start together (a barrier): the lock on the programme row and the
partial unique index « one open run per payer and programme » leave exactly one run. SQLite's
in-memory test database serialises writers, so there the attempts run one after the other in
separate threads; the assertions are the same.
"""

from datetime import date

import pytest
import time_machine

from passnum.testing import run_in_threads
from payments import services
from payments.models import PaymentItem, PaymentRun
from payments.tests.helpers import paris, world

pytestmark = pytest.mark.django_db(transaction=True)


def _run_all(attempts) -> list:
    return run_in_threads(attempts, refusal=services.PaymentError)


def test_two_preparations_at_once_give_exactly_one_run():
    with time_machine.travel(paris(2026, 3, 5), tick=False):
        w = world(operators=2)
        w.redeem(0, w.passes[0:3], paris(2026, 1, 10))
        w.redeem(1, w.passes[3:5], paris(2026, 1, 12))

    def attempt(who, period_end):
        def go():
            return services.prepare_run(
                payer=w.payer, programme=w.programme, period_end=period_end, actor=who
            ).pk

        return go

    results = _run_all(
        [
            attempt(w.finance[0], date(2026, 1, 31)),
            attempt(w.finance[1], date(2026, 1, 31)),
            attempt(w.finance[0], date(2026, 2, 28)),
        ]
    )
    assert not [x for x in results if isinstance(x, tuple)], results
    assert PaymentRun.objects.count() == 1
    run = PaymentRun.objects.get()
    assert run.pass_count == 5
    assert PaymentItem.objects.count() == 5
    ids = {x for x in results if isinstance(x, int)}
    assert ids == {run.pk}
    # Every attempt either got that run or a clear refusal.
    assert all(isinstance(x, int | services.PaymentError) for x in results)
