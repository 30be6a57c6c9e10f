"""The figures of the scripted scenario (see scenario.py) equal the values computed by hand,
under both PIC rules; the rollup equals a recount from the ledger; the rebuild command."""

import io
from collections import Counter
from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from ledger.models import Pass, PassStatus, RedemptionLine
from ledger.queries import order_counters
from operators.models import Place
from programmes.models import Programme
from steering import queries, services
from steering.models import Figure, HolderStock, Metric, PlaceFigure, Refresh
from steering.services import USED

from .scenario import at, build

pytestmark = pytest.mark.django_db

END = at(2021, 6, 30)


def _dashboard(s):
    with time_machine.travel(END, tick=False):
        services.refresh_programme(s.programme)
        return queries.build_dashboard([s.programme], today=date(2021, 6, 30))


def _lines(dashboard):
    return {line.label: line for line in dashboard.lines}


def _reimburse_one(s) -> None:
    """What payments.services.mark_paid does to the ledger for one paid pass."""
    from ledger.events import record_events_for

    pass_ = Pass.objects.filter(order=s.order, status=PassStatus.REDEEMED).order_by("number")[0]
    Pass.objects.filter(pk=pass_.pk).update(status=PassStatus.REIMBURSED)
    record_events_for(
        [(pass_.order_id, pass_.number)], "REIMBURSED", to_status=PassStatus.REIMBURSED
    )


def test_figures_by_hand_under_the_below_bac_rule():
    s = build(Programme.PicRule.BELOW_BAC)
    _reimburse_one(s)
    d = _dashboard(s)
    lines = _lines(d)
    a, b, funder = (
        lines["Aubervilliers"],
        lines["Saint-Denis"],
        lines["Non alloués (commanditaire)"],
    )
    assert (a.allocated, a.distributed, a.redeemed) == (10, 8, 4)
    assert (b.allocated, b.distributed, b.redeemed) == (10, 2, 1)
    assert a.use_rate == 50.0 and b.use_rate == 50.0
    assert a.pic_share == 37.5 and a.below_pic_target
    assert b.pic_share == 100.0 and not b.below_pic_target
    assert a.qpv_share == 62.5 and b.qpv_share == 0.0
    assert a.assoc_share == 75.0 and b.assoc_share == 100.0
    assert a.median_delay == 3.5 and b.median_delay == 13
    assert funder.distributed == 0
    assert (a.reimbursed, b.reimbursed, d.total.reimbursed) == (1, 0, 1)
    assert d.reimbursed_available
    total = d.total
    assert total.ordered == 40
    assert (total.distributed, total.redeemed) == (10, 5)
    assert total.pic_share == 50.0 and total.qpv_share == 50.0 and total.assoc_share == 80.0
    assert total.median_delay == 5
    assert [line.label for line in d.alerts] == ["Aubervilliers"]
    months = dict(d.months)
    assert months[date(2021, 3, 1)].distributed == 10
    assert months[date(2021, 3, 1)].redeemed == 4
    assert months[date(2021, 4, 1)].redeemed == 1
    assert months[date(2021, 3, 1)].ordered == 40
    assert months[date(2021, 3, 1)].allocated == 20
    stock = {row.holder.name: row for row in d.stock}
    assert stock["Métropole du Grand Paris"].in_stock == 20
    assert stock["CCAS d'Aubervilliers"].in_stock == 2
    assert stock["CCAS d'Aubervilliers"].dormant_passes == 2
    assert stock["Centre social Floréal"].in_stock == 8
    assert stock["Centre social Floréal"].territory == s.territory_b
    [countdown] = d.countdown
    assert countdown.days_left == 184 and countdown.stops_on == date(2021, 12, 16)
    assert (countdown.in_stock, countdown.distributed_open) == (30, 5)


def test_pic_share_under_the_up_to_bac_rule():
    s = build(Programme.PicRule.UP_TO_BAC)
    d = _dashboard(s)
    lines = _lines(d)
    assert lines["Aubervilliers"].pic_share == 62.5
    assert not lines["Aubervilliers"].below_pic_target
    assert d.total.pic_share == 70.0
    assert d.alerts == []


def test_rollup_equals_a_recount_from_the_ledger_and_the_command_rebuilds_it():
    s = build()
    _reimburse_one(s)
    _dashboard(s)
    stored = {
        (f.order_id, f.territory_id, f.month, f.metric, f.bucket): f.value
        for f in Figure.objects.filter(programme=s.programme)
    }
    with time_machine.travel(END, tick=False):
        assert stored == services.compute(s.programme)["figures"]

    def total(metric):
        return sum(v for (_, _, _, m, _), v in stored.items() if m == metric)

    counters = order_counters(s.order)
    passes = Pass.objects.filter(order=s.order)
    assert total(Metric.DISTRIBUTED) == passes.filter(distributed_at__isnull=False).count()
    assert total(Metric.REDEEMED) == counters["redeemed"] + counters["reimbursed"]
    assert total(Metric.REIMBURSED) == counters["reimbursed"] == 1
    assert total(Metric.NOW_IN_STOCK) == counters["in_stock"]
    assert total(Metric.NOW_DISTRIBUTED) == counters["distributed"]
    assert sum(h.in_stock for h in HolderStock.objects.all()) == counters["in_stock"]
    assert (
        total(Metric.DELAY) == passes.filter(status__in=USED, distributed_at__isnull=False).count()
    )

    # Places: the rollup per (place, territory) equals a recount of the redemptions, done another
    # way (through the redemption lines), and the scenario's figures by hand.
    places = {
        (p.place_id, p.territory_id): (p.redeemed, p.reimbursed)
        for p in PlaceFigure.objects.filter(programme=s.programme)
    }
    with time_machine.travel(END, tick=False):
        assert places == services.compute(s.programme)["places"]
    recount = Counter()
    for line in RedemptionLine.objects.filter(pass_obj__order=s.order).select_related(
        "redemption", "pass_obj"
    ):
        if line.pass_obj.status in USED:
            recount[line.redemption.place_id] += 1
    per_place = Counter()
    for (place_id, _), (redeemed, _) in places.items():
        per_place[place_id] += redeemed
    assert per_place == recount
    assert sum(r for r, _ in places.values()) == total(Metric.REDEEMED)
    assert sum(p for _, p in places.values()) == total(Metric.REIMBURSED)
    assoc_place = Place.objects.get(name="Lieu Association Clic Solidaire")
    company_place = Place.objects.get(name="Boutique numérique")
    a, b = s.territory_a.pk, s.territory_b.pk
    assert {k: v[0] for k, v in places.items()} == {
        (assoc_place.pk, a): 3,
        (company_place.pk, a): 1,
        (assoc_place.pk, b): 1,
    }

    # Wipe the rollup and rebuild it with the command: the same rows come back.
    Figure.objects.all().delete()
    HolderStock.objects.all().delete()
    PlaceFigure.objects.all().delete()
    with time_machine.travel(END, tick=False):
        call_command("steering_refresh", stdout=io.StringIO())
    again = {
        (f.order_id, f.territory_id, f.month, f.metric, f.bucket): f.value
        for f in Figure.objects.filter(programme=s.programme)
    }
    assert again == stored
    assert {
        (p.place_id, p.territory_id): (p.redeemed, p.reimbursed)
        for p in PlaceFigure.objects.filter(programme=s.programme)
    } == places
    assert Refresh.objects.get(programme=s.programme).pass_count == 40


def test_refresh_command_refuses_an_unknown_programme():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Programme introuvable"):
        call_command("steering_refresh", programme=999999)


def test_median_and_percent_helpers():
    from collections import Counter

    assert queries.median(Counter()) is None
    assert queries.median(Counter({4: 1})) == 4
    assert queries.median(Counter({1: 1, 3: 1})) == 2
    assert queries.median(Counter({0: 1, 2: 1, 5: 1, 10: 1, 13: 1})) == 5
    assert queries.percent(1, 3) == 33.3
    assert queries.percent(1, 0) is None
