"""Invoices issued at once, with real threads and separate connections: the sequence row lock
gives each its own number, with no gap and no duplicate; the order row lock gives one invoice
per order.

On PostgreSQL the threads start together (a barrier). SQLite's in-memory test database
serialises writers, so there the attempts run one after the other in separate threads; the
assertions are the same.
"""

import pytest

from invoicing import services
from invoicing.models import DocumentSequence, Invoice
from ledger.tests import factories
from passnum.testing import run_in_threads

from .helpers import finance_member

pytestmark = pytest.mark.django_db(transaction=True)


def _run_all(attempts) -> list:
    return run_in_threads(attempts, refusal=services.InvoicingError)


def test_invoices_issued_at_once_get_consecutive_numbers():
    programme = factories.programme()
    orders = [factories.order(programme, booklets=1, status="CONFIRMED") for _ in range(4)]
    user = finance_member(programme.issuer).user

    def attempt(order):
        return lambda: services.issue_invoice(order, by=user).sequence

    # Four orders at once, and the first one twice.
    results = _run_all([attempt(o) for o in orders] + [attempt(orders[0])])
    assert not [r for r in results if isinstance(r, tuple)], results
    sequences = sorted(r for r in results if isinstance(r, int))
    assert sequences == [1, 2, 3, 4]
    refusals = [r for r in results if isinstance(r, services.InvoicingError)]
    assert len(refusals) == 1 and "déjà émise" in str(refusals[0])
    assert Invoice.objects.count() == 4
    assert len(set(Invoice.objects.values_list("number", flat=True))) == 4
    assert DocumentSequence.objects.get().last_value == 4
