"""Redemption services: check_pass and redeem (every refusal reason changes nothing)."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from ledger import codes
from ledger import redemption as r
from ledger.events import record_events
from ledger.models import (
    EventKind,
    Pass,
    PassEvent,
    PassStatus,
    Redemption,
    RedemptionLine,
)
from ledger.tests import factories
from operators.models import Qualification, Service
from passnum.testing import make_user

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- helpers (shared)


def distribute(passes) -> list[Pass]:
    """IN_STOCK → DISTRIBUTED with its event (stands in for ledger.custody.hand_out)."""
    passes = list(passes)
    now = timezone.now()
    Pass.objects.filter(pk__in=[p.pk for p in passes]).update(
        status=PassStatus.DISTRIBUTED, distributed_at=now
    )
    record_events(
        passes[0].order,
        EventKind.DISTRIBUTED,
        [p.number for p in passes],
        to_status=PassStatus.DISTRIBUTED,
        created_at=now,
    )
    for p in passes:
        p.refresh_from_db()
    return passes


def code_of(pass_: Pass) -> str:
    return codes.pass_code(pass_.order.key_id, pass_.serial)


def item(pass_: Pass) -> tuple[str, str]:
    return pass_.serial, code_of(pass_)


def snapshot() -> tuple:
    return (
        PassEvent.objects.count(),
        tuple(Pass.objects.order_by("pk").values_list("status", "redemption_id")),
        Redemption.objects.count(),
        RedemptionLine.objects.count(),
    )


def setup_world(*, price: int = 1, booklets: int = 1, **order_extra):
    """An activated order with its first 5 passes distributed, and a qualified operator."""
    order = factories.order(booklets=booklets, **order_extra)
    passes = list(Pass.objects.filter(order=order).select_related("order").order_by("number"))
    distribute(passes[:5])
    org, place, service = factories.operator(price_in_passes=price)
    user = make_user()
    from organisations.models import Role
    from passnum.testing import make_member

    make_member(org, Role.MEMBER, user=user)
    return order, passes, org, place, service, user


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return setup_world()


def _redeem(world, passes, *, key="k-1", place=None, service=None, operator=None):
    order, all_passes, org, place0, service0, user = world
    return r.redeem(
        operator=operator or org,
        place=place or place0,
        service=service or service0,
        items=[item(p) for p in passes],
        idempotency_key=key,
        by=user,
        ip="203.0.113.5",
    )


# --------------------------------------------------------------------------- check_pass


def test_check_valid_distributed_pass(world):
    order, passes, *_ = world
    result = r.check_pass(passes[0].serial, code_of(passes[0]))
    assert result.ok and result.reason == r.VALID
    assert result.value_cents == 1000
    assert result.value_display == "10,00\u00a0€"
    assert result.redeemable_until == order.redeemable_until
    assert result.funder_name == "Métropole du Grand Paris"
    assert "Aubervilliers" in result.perimeter_summary
    # Typed codes are forgiving: lower case, hyphen, O for 0…
    code = code_of(passes[0])
    assert r.check_pass(passes[0].serial, f"{code[:5].lower()}-{code[5:]}").ok


def test_check_malformed_and_check_digit(world):
    _, passes, *_ = world
    bad = r.check_pass("12345", "ABCDEFGHJK")
    assert (bad.ok, bad.reason) == (False, r.MALFORMED_SERIAL)
    assert "mal formé" in bad.message
    serial = passes[0].serial
    wrong_digit = serial[:-1] + str((int(serial[-1]) + 1) % 10)
    result = r.check_pass(wrong_digit, code_of(passes[0]))
    assert result.reason == r.WRONG_CHECK_DIGIT
    assert "contrôle" in result.message


def test_unknown_pass_and_wrong_code_look_the_same(world):
    _, passes, *_ = world
    unknown = codes.pass_serial(999_999_990)
    a = r.check_pass(unknown, "ABCDEFGHJK")
    b = r.check_pass(passes[0].serial, "ABCDEFGHJK")
    assert (a.reason, a.message) == (b.reason, b.message) == (r.WRONG_CODE, r.WRONG_CODE_MESSAGE)
    assert "Code incorrect" in a.message
    assert a.pass_obj is None and b.pass_obj is None and b.value_cents is None


def test_check_order_not_activated():
    order = factories.order(booklets=1, status="ISSUED")
    p = Pass.objects.filter(order=order).first()
    result = r.check_pass(p.serial, code_of(p))
    assert result.reason == r.ORDER_NOT_ACTIVE
    assert "Commande non activée" in result.message


def test_check_expired_by_date():
    order = factories.order(booklets=1, valid_until=date(2021, 12, 31), tolerance_days=31)
    p = Pass.objects.filter(order=order).first()
    distribute([p])
    result = r.check_pass(p.serial, code_of(p))
    assert result.reason == r.EXPIRED
    assert result.message == "Pass expiré depuis le 01/02/2022."


def test_check_cancelled_with_motive(world):
    order, passes, *_ = world
    p = passes[0]
    Pass.objects.filter(pk=p.pk).update(status=PassStatus.CANCELLED)
    record_events(
        order, EventKind.CANCELLED, [p.number], to_status=PassStatus.CANCELLED, reason="volé"
    )
    result = r.check_pass(p.serial, code_of(p))
    assert (result.reason, result.message) == (r.CANCELLED, "Pass annulé (volé).")


def test_check_already_redeemed_tells_when_and_where(world):
    _, passes, org, *_ = world
    _redeem(world, [passes[0]])
    result = r.check_pass(passes[0].serial, code_of(passes[0]))
    assert result.reason == r.ALREADY_REDEEMED
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert result.message == f"Ce pass a déjà été utilisé le {today} chez {org.name}."


# --------------------------------------------------------------------------- redeem


def test_redeem_one_pass(world):
    order, passes, org, place, service, user = world
    outcome = _redeem(world, [passes[0]])
    assert not outcome.replayed
    assert outcome.amount_cents == 1000 and outcome.serials == [passes[0].serial]
    p = Pass.objects.get(pk=passes[0].pk)
    assert p.status == PassStatus.REDEEMED and p.redemption_id == outcome.redemption.pk
    assert p.redeemed_at is not None and not p.redeemed_from_stock
    event = PassEvent.objects.get(kind=EventKind.REDEEMED)
    assert (event.first_number, event.last_number, event.redemption_id, event.actor_id) == (
        p.number,
        p.number,
        outcome.redemption.pk,
        user.pk,
    )
    assert event.details["place_id"] == place.pk
    line = RedemptionLine.objects.get()
    assert (line.pass_obj_id, line.amount_cents) == (p.pk, 1000)
    assert outcome.redemption.amount_cents == 1000 and outcome.redemption.pass_count == 1


def test_two_hour_workshop_takes_two_passes():
    world = setup_world(price=2)
    _, passes, *_ = world
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, [passes[0]])
    assert exc.value.code == r.WRONG_PASS_COUNT
    assert "vaut 2 pass" in str(exc.value) and "présenté 1" in str(exc.value)
    assert snapshot() == before
    outcome = _redeem(world, passes[0:2], key="k-2")
    assert outcome.amount_cents == 2000
    # Consecutive passes: one event for the run.
    assert PassEvent.objects.filter(kind=EventKind.REDEEMED).count() == 1
    outcome = _redeem(world, [passes[2], passes[4]], key="k-3")
    assert PassEvent.objects.filter(kind=EventKind.REDEEMED).count() == 3


def test_same_key_returns_the_first_answer(world):
    _, passes, *_ = world
    first = _redeem(world, [passes[0]], key="same")
    again = _redeem(world, [passes[0]], key="same")
    assert again.replayed and again.redemption.pk == first.redemption.pk
    assert again.serials == first.serials and again.amount_cents == first.amount_cents
    # Even with other passes in the retry: the key wins, nothing more is redeemed.
    other = _redeem(world, [passes[1]], key="same")
    assert other.redemption.pk == first.redemption.pk
    assert Pass.objects.get(pk=passes[1].pk).status == PassStatus.DISTRIBUTED
    assert Redemption.objects.count() == 1


def test_missing_key_is_refused(world):
    _, passes, *_ = world
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, [passes[0]], key="  ")
    assert exc.value.code == r.IDEMPOTENCY_KEY
    assert snapshot() == before


def test_in_stock_pass_accepted_and_flagged_when_the_order_allows(world):
    _, passes, *_ = world
    in_stock = passes[8]
    assert in_stock.status == PassStatus.IN_STOCK
    outcome = _redeem(world, [in_stock])
    assert outcome.from_stock == [in_stock.serial]
    p = Pass.objects.get(pk=in_stock.pk)
    assert p.status == PassStatus.REDEEMED and p.redeemed_from_stock
    event = PassEvent.objects.get(kind=EventKind.REDEEMED)
    assert event.details["from_stock"] == [in_stock.serial]


def test_in_stock_pass_refused_when_the_order_does_not_allow():
    world = setup_world(accept_in_stock=False)
    _, passes, *_ = world
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, [passes[8]])
    assert exc.value.passes[0].reason == r.NOT_DISTRIBUTED
    assert snapshot() == before
    assert _redeem(world, [passes[0]], key="k-2").amount_cents == 1000


def _assert_refused(world, passes, reason, *, per_pass=True, **kwargs):
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, passes, **kwargs)
    if per_pass:
        assert [v.reason for v in exc.value.passes if not v.ok] == [reason]
    else:
        assert exc.value.code == reason
    assert snapshot() == before
    return exc.value


def test_wrong_code_refused(world):
    _, passes, org, place, service, user = world
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        r.redeem(
            operator=org,
            place=place,
            service=service,
            items=[(passes[0].serial, "ABCDEFGHJK")],
            idempotency_key="k",
            by=user,
        )
    assert exc.value.passes[0].reason == r.WRONG_CODE
    assert snapshot() == before


def test_already_redeemed_refused(world):
    _, passes, org, *_ = world
    _redeem(world, [passes[0]], key="first")
    error = _assert_refused(world, [passes[0]], r.ALREADY_REDEEMED, key="second")
    assert f"chez {org.name}" in str(error)
    assert error.is_conflict


def test_outside_perimeter_refused(world):
    other_commune = factories.commune("75056", "Paris")
    org, place, service = factories.operator("Autre lieu", place_commune=other_commune)
    user = world[5]
    from organisations.models import Role
    from passnum.testing import make_member

    make_member(org, Role.MEMBER, user=user)
    error = _assert_refused(
        world, [world[1][0]], r.OUTSIDE_PERIMETER, operator=org, place=place, service=service
    )
    assert "Hors du territoire" in error.passes[0].message


def test_operator_not_qualified_refused(world):
    org = world[2]
    org.operator_profile.qualification = Qualification.SUSPENDED
    org.operator_profile.save()
    error = _assert_refused(world, [world[1][0]], r.OPERATOR_NOT_QUALIFIED, per_pass=False)
    assert "Opérateur non qualifié" in str(error)


def test_other_operators_place_refused(world):
    _, other_place, _ = factories.operator("Concurrent")
    error = _assert_refused(
        world, [world[1][0]], r.PLACE_NOT_YOURS, per_pass=False, place=other_place
    )
    assert str(error) == "Ce lieu n'appartient pas à votre structure."


def test_place_not_accepting_passes_refused(world):
    place = world[3]
    place.accepts_passes = False
    place.save()
    _assert_refused(world, [world[1][0]], r.PLACE_NOT_ACCEPTING, per_pass=False)


def test_service_not_allowed_refused():
    world = setup_world(allowed_themes=[Service.Theme.MATERIEL])
    error = _assert_refused(world, [world[1][0]], r.SERVICE_NOT_ALLOWED)
    assert "Service non autorisé pour ce pass" in error.passes[0].message


def test_expired_and_not_activated_refused():
    world = setup_world(valid_until=timezone.localdate() - timedelta(days=40), tolerance_days=31)
    _assert_refused(world, [world[1][0]], r.EXPIRED)


def test_one_bad_pass_refuses_all():
    world = setup_world(price=2)
    _, passes, *_ = world
    _redeem(world, [passes[0], passes[1]], key="first")
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, [passes[2], passes[1]], key="second")
    verdicts = {v.serial: v.reason for v in exc.value.passes}
    assert verdicts == {passes[2].serial: r.VALID, passes[1].serial: r.ALREADY_REDEEMED}
    assert snapshot() == before
    assert Pass.objects.get(pk=passes[2].pk).status == PassStatus.DISTRIBUTED


def test_duplicate_pass_in_one_request_refused():
    world = setup_world(price=2)
    _, passes, *_ = world
    _assert_refused(world, [passes[0], passes[0]], r.DUPLICATE_PASS)


def test_wrong_codes_are_throttled_per_user(world, settings):
    settings.PASS_GUESSES_PER_USER = 3
    _, passes, org, place, service, user = world
    for _ in range(3):
        with pytest.raises(r.RedemptionRefused):
            r.redeem(
                operator=org,
                place=place,
                service=service,
                items=[(passes[0].serial, "ZZZZZZZZZZ")],
                idempotency_key="k",
                by=user,
            )
    with pytest.raises(r.GuessesThrottled, match="Trop de codes incorrects"):
        _redeem(world, [passes[0]])
    assert Pass.objects.get(pk=passes[0].pk).status == PassStatus.DISTRIBUTED


def test_wrong_codes_are_throttled_per_ip(settings):
    settings.PASS_GUESSES_PER_IP = 2
    for _ in range(2):
        assert r.throttled_check("0000000018", "ZZZZZZZZZZ", ip="198.51.100.7").reason in (
            r.WRONG_CODE,
            r.WRONG_CHECK_DIGIT,
        )
    serial = codes.pass_serial(123)
    r.throttled_check(serial, "ZZZZZZZZZZ", ip="198.51.100.8")
    r.throttled_check(serial, "ZZZZZZZZZZ", ip="198.51.100.8")
    with pytest.raises(r.GuessesThrottled):
        r.throttled_check(serial, "ZZZZZZZZZZ", ip="198.51.100.8")
    # Another address is not affected.
    assert r.throttled_check(serial, "ZZZZZZZZZZ", ip="198.51.100.9").reason == r.WRONG_CODE


def test_euros_format():
    assert r.euros(123456) == "1\u202f234,56\u00a0€"
    assert r.euros(5) == "0,05\u00a0€"


def test_second_line_for_a_pass_is_impossible(world):
    """Even if the cached state were wrong, the unique line per pass refuses a second use."""
    _, passes, org, *_ = world
    _redeem(world, [passes[0]], key="first")
    # Corrupt the projection on purpose: the pass looks distributed again.
    Pass.objects.filter(pk=passes[0].pk).update(
        status=PassStatus.DISTRIBUTED, redemption=None, redeemed_at=None
    )
    before = snapshot()
    with pytest.raises(r.RedemptionRefused) as exc:
        _redeem(world, [passes[0]], key="second")
    assert exc.value.passes[0].reason == r.ALREADY_REDEEMED
    assert f"chez {org.name}" in exc.value.passes[0].message
    assert snapshot() == before


def test_a_place_not_yet_qualified_cannot_redeem():
    """Each place has its own qualification (operators issue): a qualified operator's new place
    redeems only once the issuer has qualified it."""
    import uuid as _uuid

    from django.utils import timezone as _tz

    from ledger import codes as _codes
    from ledger import redemption as _redemption
    from ledger.events import record_events as _record
    from ledger.models import Pass as _Pass
    from ledger.models import PassEvent as _Event
    from ledger.tests import factories as _f
    from operators.models import Qualification as _Q

    order = _f.order(booklets=1)
    operator, place, service = _f.operator()
    place.qualification = _Q.IN_REVIEW
    place.save()
    p = _Pass.objects.filter(order=order).first()
    _Pass.objects.filter(pk=p.pk).update(status="DISTRIBUTED", distributed_at=_tz.now())
    _record(order, "DISTRIBUTED", [p.number], to_status="DISTRIBUTED")
    events = _Event.objects.count()
    with pytest.raises(_redemption.RedemptionRefused, match="pas qualifié"):
        _redemption.redeem(
            operator=operator,
            place=place,
            service=service,
            items=[(p.serial, _codes.pass_code(order.key_id, p.serial))],
            idempotency_key=str(_uuid.uuid4()),
            by=None,
        )
    assert _Event.objects.count() == events
    assert _Pass.objects.get(pk=p.pk).status == "DISTRIBUTED"


def test_one_redemption_over_two_orders_and_two_runs():
    """Passes of two orders, non-consecutive numbers: a line per pass at its order's value, one
    signed event per run of numbers within each order, and the ledger verifies."""
    from ledger.verification import verify_ledger

    order_a, passes_a, org, place, service, user = setup_world(price=3)
    order_b = factories.order(order_a.programme, booklets=1, face_value_cents=500)
    passes_b = distribute(
        list(Pass.objects.filter(order=order_b).select_related("order").order_by("number")[:3])
    )
    chosen = [passes_b[2], passes_a[0], passes_b[0]]
    outcome = r.redeem(
        operator=org,
        place=place,
        service=service,
        items=[item(p) for p in chosen],
        idempotency_key="deux-commandes",
        by=user,
    )
    assert outcome.amount_cents == 2000 and outcome.redemption.amount_cents == 2000
    assert outcome.serials == sorted(p.serial for p in chosen)
    lines = RedemptionLine.objects.filter(redemption=outcome.redemption)
    assert sorted(lines.values_list("pass_obj_id", "amount_cents")) == sorted(
        [(passes_a[0].pk, 1000), (passes_b[0].pk, 500), (passes_b[2].pk, 500)]
    )
    events = PassEvent.objects.filter(kind=EventKind.REDEEMED).order_by("order_id", "first_number")
    assert [(e.order_id, e.first_number, e.last_number) for e in events] == [
        (order_a.pk, passes_a[0].number, passes_a[0].number),
        (order_b.pk, passes_b[0].number, passes_b[0].number),
        (order_b.pk, passes_b[2].number, passes_b[2].number),
    ]
    assert {(e.redemption_id, e.actor_id, e.to_status) for e in events} == {
        (outcome.redemption.pk, user.pk, PassStatus.REDEEMED)
    }
    assert Pass.objects.filter(redemption=outcome.redemption).count() == 3
    assert verify_ledger().ok
