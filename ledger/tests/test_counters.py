"""The counters of an order, on a hand-made ledger whose figures are computed by hand below."""

import pytest
from django.utils import timezone

from ledger.models import Booklet, Pass, PassStatus, Redemption
from ledger.queries import COUNTER_KEYS, counter_rows, counters_for_orders, order_counters
from ledger.tests import factories
from organisations.models import Organisation
from passnum.testing import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_by_hand():
    """An activated order of 4 booklets × 5 passes (p0…p19), moved by hand:

    booklet 0: p0 REDEEMED, p1 REIMBURSED, p2 DISTRIBUTED, p3-p4 IN_STOCK, all at the prescriber
    booklet 1: p5-p6 IN_STOCK at the municipality, p7 CANCELLED, p8 EXPIRED, p9 IN_STOCK at a hub
    booklet 2: p10 REDEEMED (from the funder's stock), p11-p14 IN_STOCK at the funder
    booklet 3: p15-p19 IN_STOCK at the funder

    and a second order, issued but not activated (1 booklet × 10), that must not leak in.
    """
    order = factories.order(booklets=4, passes_per_booklet=5)
    other = factories.order(order.programme, booklets=1, status="ISSUED")
    funder = order.funder
    municipality = make_org("Ville de Bondy", kind=Organisation.Kind.MUNICIPALITY)
    prescriber = make_org("CCAS de Bondy", kind=Organisation.Kind.PRESCRIBER)
    hub = make_org("Hub Francil'IN", kind=Organisation.Kind.HUB)
    operator, place, service = factories.operator()
    redemption = Redemption.objects.create(
        operator=operator,
        place=place,
        service=service,
        idempotency_key="k-1",
        pass_count=3,
        amount_cents=3000,
    )
    p = list(Pass.objects.filter(order=order).order_by("number").values_list("pk", flat=True))
    assert len(p) == 20
    now = timezone.now()

    def move(indexes, **fields):
        Pass.objects.filter(pk__in=[p[i] for i in indexes]).update(**fields)

    used = {"redemption": redemption, "redeemed_at": now}
    move([0], status=PassStatus.REDEEMED, holder=prescriber, **used)
    move([1], status=PassStatus.REIMBURSED, holder=prescriber, **used)
    move([2], status=PassStatus.DISTRIBUTED, holder=prescriber, distributed_at=now)
    move([3, 4], holder=prescriber)
    move([5, 6], holder=municipality)
    move([7], status=PassStatus.CANCELLED, holder=municipality)
    move([8], status=PassStatus.EXPIRED, holder=municipality)
    move([9], holder=hub)
    move([10], status=PassStatus.REDEEMED, holder=funder, redeemed_from_stock=True, **used)
    return order, other


EXPECTED = {
    "issued": 20,
    "awaiting_activation": 0,
    "in_stock": 14,  # 2 prescriber + 2 municipality + 1 hub + 4 + 5 funder
    "in_stock_funder": 9,  # p11-p14, p15-p19
    "in_stock_municipalities": 2,  # p5, p6
    "in_stock_prescribers": 2,  # p3, p4
    "in_stock_other": 1,  # p9 at the hub
    "distributed": 1,  # p2
    "redeemed": 2,  # p0, p10
    "reimbursed": 1,  # p1
    "cancelled": 1,  # p7
    "expired": 1,  # p8
    "booklets": 4,
    "booklets_started": 2,  # booklets 0 (p0, p1) and 2 (p10)
}


def test_order_counters_match_the_figures_computed_by_hand(ledger_by_hand):
    order, _ = ledger_by_hand
    counters = order_counters(order)
    assert counters == EXPECTED
    # Every pass is in exactly one state.
    states = [k for k in COUNTER_KEYS if k not in ("issued", "booklets", "booklets_started")]
    assert sum(counters[k] for k in states if not k.startswith("in_stock_")) == counters["issued"]


def test_counters_are_three_aggregate_queries_whatever_the_number_of_orders(
    ledger_by_hand, django_assert_num_queries
):
    order, other = ledger_by_hand
    with django_assert_num_queries(3) as ctx:
        counters = counters_for_orders([order.pk, other.pk])
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert sql.count("GROUP BY") == 3
    assert counters[order.pk] == EXPECTED
    assert counters[other.pk] == {
        **dict.fromkeys(COUNTER_KEYS, 0),
        "issued": 10,
        "awaiting_activation": 10,
        "booklets": 1,
    }


def test_an_order_without_passes_counts_zero():
    order = factories.order(status="DRAFT")
    assert order_counters(order) == dict.fromkeys(COUNTER_KEYS, 0)
    assert counters_for_orders([]) == {}


def test_a_booklet_is_started_once_whatever_its_used_passes(ledger_by_hand):
    order, _ = ledger_by_hand
    first = Booklet.objects.filter(order=order).order_by("number").first()
    assert Pass.objects.filter(booklet=first, status__in=["REDEEMED", "REIMBURSED"]).count() == 2
    assert order_counters(order)["booklets_started"] == 2


def test_counter_rows_are_labelled_in_french(ledger_by_hand):
    order, _ = ledger_by_hand
    rows = counter_rows(order_counters(order))
    assert [key for key, _, _ in rows] == list(COUNTER_KEYS)
    labels = {key: (label, value) for key, label, value in rows}
    assert labels["in_stock_municipalities"] == ("En stock dans les collectivités", 2)
    assert labels["booklets_started"] == ("Carnets entamés", 2)
    assert labels["distributed"] == ("Distribués (injectés), pas encore utilisés", 1)
