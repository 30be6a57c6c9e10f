"""The invoicing demo: the main order's invoice, a finished order with its credit note, a
finance login; running the whole demo twice changes nothing."""

import pytest
from django.core.management import call_command

from accounts.models import User
from core.tests.test_demo import communes  # noqa: F401 - fixture
from invoicing.demo import EXPIRED_ORDER_TEXT, FINANCE_EMAIL
from invoicing.models import CreditNote, Invoice
from invoicing.queries import statement_of
from ledger.models import Order
from ledger.verification import verify_ledger

pytestmark = pytest.mark.django_db


def test_demo_invoices_and_credit_note(communes, capsys):  # noqa: F811
    call_command("demo", booklets=200)
    out = capsys.readouterr().out
    assert "Facture FA-" in out and "avoir AV-" in out
    # The payments demo's finance member issues them (no third finance member is made).
    assert "Factures et avoirs émis par finance@passnum.example" in out
    assert not User.objects.filter(email=FINANCE_EMAIL).exists()
    main = Order.objects.exclude(print_text=EXPIRED_ORDER_TEXT).get()
    invoice = Invoice.objects.get(order=main)
    # 200 booklets × 10 × 10,00 € = 20 000,00 €; 4 % = 800,00 €.
    assert (invoice.face_value_total_cents, invoice.fee_cents) == (2_000_000, 80_000)
    assert not CreditNote.objects.filter(order=main).exists()
    expired = Order.objects.get(print_text=EXPIRED_ORDER_TEXT)
    note = CreditNote.objects.get(order=expired)
    # 5 booklets: one lost (10 passes cancelled), 40 expired; none used: 50 × 10,00 €.
    assert (note.cancelled_count, note.expired_count, note.used_count) == (10, 40, 0)
    assert note.amount_cents == 50_000
    assert statement_of(expired).balance_cents == 2_000  # only the upstream fee remains
    assert verify_ledger().ok

    call_command("demo", booklets=200)
    assert Invoice.objects.count() == 2 and CreditNote.objects.count() == 1
    assert Order.objects.count() == 2


def test_demo_alone_makes_its_own_finance_member():
    from invoicing import demo
    from ledger.tests import factories
    from organisations.models import Membership

    order = factories.order(booklets=1)
    first = demo.load(order.programme)
    assert [login.email for login in first["logins"]] == [FINANCE_EMAIL]
    assert Membership.objects.get(user__email=FINANCE_EMAIL).is_finance
    assert Invoice.objects.filter(order=order).exists()
    assert CreditNote.objects.count() == 1
    second = demo.load(order.programme)
    assert second["lines"] == first["lines"]
    assert Invoice.objects.count() == 2 and CreditNote.objects.count() == 1
