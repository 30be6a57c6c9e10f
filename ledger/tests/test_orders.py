import pytest

from ledger import codes
from ledger.exceptions import OrderStateError
from ledger.models import Booklet, EventKind, OrderStatus, Pass, PassEvent, PassStatus
from ledger.tests import factories

pytestmark = pytest.mark.django_db


def test_order_totals_in_cents():
    order = factories.order(booklets=3, status="DRAFT")
    assert order.pass_count == 30
    assert order.face_value_total_cents == 30_000
    assert order.upstream_fee_cents == 1_200  # 4 % of 300,00 €
    assert order.perimeter.count() == 2


def test_issue_then_activate():
    order = factories.order(booklets=3, status="ISSUED")
    assert Booklet.objects.filter(order=order).count() == 3
    passes = list(Pass.objects.filter(order=order).order_by("number"))
    assert len(passes) == 30
    assert {p.status for p in passes} == {PassStatus.ISSUED}
    assert all(codes.parse_pass_serial(p.serial) == p.number for p in passes)
    issued = PassEvent.objects.get(order=order, kind=EventKind.ISSUED)
    assert (issued.first_number, issued.last_number, issued.pass_count) == (
        passes[0].number,
        passes[-1].number,
        30,
    )

    from ledger import services

    with pytest.raises(OrderStateError, match="numéro de mandat"):
        services.activate_order(order, "  ", by=None)
    order = services.activate_order(order, "MANDAT-1", by=None)
    assert order.status == OrderStatus.ACTIVATED
    assert Pass.objects.filter(order=order, status=PassStatus.IN_STOCK).count() == 30


def test_two_orders_get_distinct_serials():
    a = factories.order(booklets=2)
    b = factories.order(a.programme, booklets=2)
    assert b.first_pass_number == a.first_pass_number + 20
    assert not set(Pass.objects.filter(order=a).values_list("serial", flat=True)) & set(
        Pass.objects.filter(order=b).values_list("serial", flat=True)
    )


def test_cannot_issue_twice_nor_activate_before_issuing():
    from ledger import services

    order = factories.order(status="CONFIRMED")
    with pytest.raises(OrderStateError, match="pas encore émis"):
        services.activate_order(order, "M-1", by=None)
    services.issue_order(order.pk)
    with pytest.raises(OrderStateError, match="déjà émise"):
        services.issue_order(order.pk)


def test_codes_are_derived_not_stored():
    order = factories.order(booklets=1)
    p = Pass.objects.filter(order=order).first()
    code = codes.pass_code(order.key_id, p.serial)
    assert len(code) == 10 and set(code) <= set(codes.CROCKFORD)
    assert codes.code_matches(order.key_id, p.serial, codes.format_code(code).lower())
    assert not codes.code_matches(order.key_id, p.serial, "0000000000")
    other = Pass.objects.filter(order=order).exclude(pk=p.pk).first()
    assert not codes.code_matches(order.key_id, other.serial, code)
    for field in Pass._meta.get_fields():
        assert "code" not in field.name


def test_serial_check_digit_catches_typos():
    serial = codes.pass_serial(123456789)
    assert codes.parse_pass_serial(serial) == 123456789
    typo = serial[:3] + str((int(serial[3]) + 1) % 10) + serial[4:]
    with pytest.raises(codes.SerialError, match="contrôle"):
        codes.parse_pass_serial(typo)
    with pytest.raises(codes.SerialError, match="mal formé"):
        codes.parse_pass_serial("12AB")
