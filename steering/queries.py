"""Reads of the steering figures: dashboards are built from the rollup tables only (``Figure``,
``HolderStock``, ``Refresh``), never from the ledger — see ``steering/README.md``.

``build_dashboard`` sums the figures of some programmes (optionally restricted to some
territories) into lines per territory and per month; ``tables`` turns a dashboard into the
header/rows tables shown on the pages and exported as CSV and XLSX.
"""

import importlib.util
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from ledger.custody import distribution_stops_on
from ledger.custody_queries import age_in_days, dormant_days
from ledger.models import Order, OrderStatus
from operators.models import Place
from organisations.models import Organisation
from organisations.queries import get_membership
from programmes.models import Programme, Territory

from .models import Figure, HolderStock, Metric, PlaceFigure, Refresh

SMALL_COUNT = 11  # public page: a count below this is shown as « moins de 11 »
NOT_FOUND = "Tableau de bord introuvable."
STATE_METRICS = (Metric.NOW_IN_STOCK, Metric.NOW_DISTRIBUTED)


# --- Access -----------------------------------------------------------------------------------


def programme_for_funder_or_404(user, programme_id: int) -> tuple[Programme, Any]:
    """The programme and the user's membership of its funder; 404 for anyone else."""
    programme = Programme.objects.select_related("funder").filter(pk=programme_id).first()
    if programme is None:
        raise Http404(NOT_FOUND)
    membership = get_membership(user, programme.funder_id)
    if membership is None:
        raise Http404(NOT_FOUND)
    return programme, membership


def territory_for_user_or_404(user, territory_id: int) -> Territory:
    """A territory for a member (any role, read-only included) of its programme's funder, of
    its municipality or of its programme's hub; 404 for anyone else."""
    territory = (
        Territory.objects.select_related("programme__funder", "commune", "municipality")
        .filter(pk=territory_id)
        .first()
    )
    if territory is None:
        raise Http404(NOT_FOUND)
    programme = territory.programme
    for organisation_id in (programme.funder_id, territory.municipality_id, programme.hub_id):
        if organisation_id and get_membership(user, organisation_id) is not None:
            return territory
    raise Http404(NOT_FOUND)


def funder_programmes(funder: Organisation) -> QuerySet[Programme]:
    return Programme.objects.filter(funder=funder).order_by("-starts_on", "name")


def municipality_territories(municipality: Organisation) -> QuerySet[Territory]:
    return (
        Territory.objects.filter(municipality=municipality)
        .select_related("programme", "commune")
        .order_by("-programme__starts_on", "programme__name")
    )


def hub_programmes(hub: Organisation) -> QuerySet[Programme]:
    return Programme.objects.filter(hub=hub).order_by("-starts_on", "name")


def payments_available() -> bool:
    """Whether the payments app counts reimbursed passes yet (otherwise « à venir »)."""
    try:
        spec = importlib.util.find_spec("payments.queries")
    except ModuleNotFoundError:
        return False
    if spec is None:
        return False
    module = importlib.import_module("payments.queries")
    return hasattr(module, "reimbursed_by_order")


# --- Arithmetic -------------------------------------------------------------------------------


def percent(part: int, total: int) -> float | None:
    """A share in percent with one decimal; None when there is nothing to divide."""
    if not total:
        return None
    return round(100 * part / total, 1)


def median(histogram: Counter) -> float | None:
    """The median of values given as {value: count} (mean of the two middle ones if even)."""
    n = sum(histogram.values())
    if n == 0:
        return None
    wanted = {(n - 1) // 2, n // 2}
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        count = histogram[value]
        for position in sorted(wanted):
            if seen <= position < seen + count:
                found.append(value)
        seen += count
    low, high = found[0], found[-1]
    return (low + high) / 2


# --- Dashboard ----------------------------------------------------------------------------------


@dataclass
class Line:
    """The figures of one territory (or of the funder's own stock when territory is None)."""

    label: str
    territory: Territory | None = None
    programme: Programme | None = None
    pic_target: int = 50
    counts: Counter = field(default_factory=Counter)
    delays: Counter = field(default_factory=Counter)

    @property
    def allocated(self) -> int:
        return self.counts[Metric.ALLOCATED_IN] - self.counts[Metric.ALLOCATED_OUT]

    @property
    def ordered(self) -> int:
        return self.counts[Metric.ORDERED]

    @property
    def distributed(self) -> int:
        return self.counts[Metric.DISTRIBUTED]

    @property
    def redeemed(self) -> int:
        return self.counts[Metric.REDEEMED]

    @property
    def reimbursed(self) -> int:
        return self.counts[Metric.REIMBURSED]

    @property
    def use_rate(self) -> float | None:
        """Passes used over passes handed out."""
        return percent(self.redeemed, self.distributed)

    @property
    def pic_share(self) -> float | None:
        return percent(self.counts[Metric.DISTRIBUTED_PIC], self.distributed)

    @property
    def below_pic_target(self) -> bool:
        return self.pic_share is not None and self.pic_share < self.pic_target

    @property
    def qpv_share(self) -> float | None:
        return percent(self.counts[Metric.DISTRIBUTED_QPV], self.distributed)

    @property
    def assoc_share(self) -> float | None:
        return percent(self.counts[Metric.REDEEMED_ASSOC], self.redeemed)

    @property
    def median_delay(self) -> float | None:
        return median(self.delays)

    def add(self, other: "Line") -> None:
        self.counts.update(other.counts)
        self.delays.update(other.delays)


@dataclass
class StockRow:
    holder: Organisation
    territory: Territory | None
    in_stock: int
    booklets: int
    dormant_passes: int
    dormant_booklets: int
    oldest_held_since: datetime | None
    last_moved_at: datetime | None
    funder_id: int

    @property
    def age_days(self) -> int | None:
        return age_in_days(self.oldest_held_since)

    @property
    def idle_days(self) -> int | None:
        return age_in_days(self.last_moved_at)


@dataclass
class OrderCountdown:
    order: Order
    days_left: int
    stops_on: date
    in_stock: int
    distributed_open: int

    @property
    def days_over(self) -> int:
        return max(0, -self.days_left)

    @property
    def urgent(self) -> bool:
        return self.days_left <= 30


@dataclass
class PlaceLine:
    """Passes used at one place (of the dashboard's scope: for a municipality, only the passes
    of its territories)."""

    place: Place
    redeemed: int = 0
    reimbursed: int = 0


@dataclass
class Dashboard:
    programmes: list[Programme]
    lines: list[Line]
    total: Line
    months: list[tuple[date, Line]]
    stock: list[StockRow]
    countdown: list[OrderCountdown]
    refreshed_at: datetime | None
    reimbursed_available: bool
    dormant_days: int
    whole: bool = True  # the programmes' every territory and the funder's own stock
    places: list[PlaceLine] = field(default_factory=list)

    @property
    def ordered(self) -> int | str:
        """Passes ordered; orders are the funder's, so a territory's slice has none of its own."""
        return self.total.ordered if self.whole else NOT_APPLICABLE

    @property
    def alerts(self) -> list[Line]:
        return [line for line in self.lines if line.territory and line.below_pic_target]


def _territory_label(territory: Territory, several_programmes: bool) -> str:
    name = territory.commune.name
    return f"{name} ({territory.programme.name})" if several_programmes else name


def build_dashboard(
    programmes: list[Programme],
    territories: list[Territory] | None = None,
    today: date | None = None,
) -> Dashboard:
    """The figures of ``programmes``; with ``territories``, only theirs (a municipality's
    slice: no line of another territory, no funder stock, no programme total beyond them)."""
    today = today or timezone.localdate()
    several = len(programmes) > 1
    programme_ids = [p.pk for p in programmes]
    by_pk = {p.pk: p for p in programmes}
    whole = territories is None
    if territories is None:
        territories = list(
            Territory.objects.filter(programme_id__in=programme_ids)
            .select_related("programme", "commune")
            .order_by("commune__name", "programme__name")
        )
    territory_ids = [t.pk for t in territories]
    lines: dict[int | None, Line] = {
        t.pk: Line(
            label=_territory_label(t, several),
            territory=t,
            programme=t.programme,
            pic_target=t.programme.pic_target_percent,
        )
        for t in territories
    }
    restricted = Q(territory_id__in=territory_ids)
    unrestricted = restricted | Q(territory__isnull=True)
    scope = Figure.objects.filter(programme_id__in=programme_ids)
    scope = scope.filter(unrestricted if whole else restricted)
    if whole:
        lines[None] = Line(label="Non alloués (commanditaire)")
    rows = (
        scope.order_by()
        .values("territory_id", "month", "metric", "bucket")
        .annotate(value=Sum("value"))
    )
    months: dict[date, Line] = defaultdict(lambda: Line(label=""))
    for row in rows:
        line = lines[row["territory_id"]]
        if row["metric"] == Metric.DELAY:
            line.delays[row["bucket"]] += row["value"]
        else:
            line.counts[row["metric"]] += row["value"]
        if row["metric"] not in STATE_METRICS:  # flows only: states are not a month's doing
            month = months[row["month"]]
            if row["metric"] == Metric.DELAY:
                month.delays[row["bucket"]] += row["value"]
            else:
                month.counts[row["metric"]] += row["value"]
    total = Line(
        label="Total",
        pic_target=programmes[0].pic_target_percent if len(programmes) == 1 else 50,
    )
    for line in lines.values():
        total.add(line)
    for month_date, line in months.items():
        line.label = f"{month_date:%m/%Y}"

    # Countdown: running orders, with the stock and open hand-outs in scope.
    order_rows = (
        scope.filter(metric__in=[Metric.NOW_IN_STOCK, Metric.NOW_DISTRIBUTED])
        .order_by()
        .values("order_id", "metric")
        .annotate(value=Sum("value"))
    )
    per_order: dict[int, Counter] = defaultdict(Counter)
    for row in order_rows:
        per_order[row["order_id"]][row["metric"]] += row["value"]
    running = Order.objects.filter(
        programme_id__in=programme_ids,
        status__in=[OrderStatus.ACTIVATED, OrderStatus.CLOSING],
    ).order_by("valid_until", "reference")
    if not whole:
        running = running.filter(pk__in=list(per_order))
    countdown = [
        OrderCountdown(
            order=order,
            days_left=(order.valid_until - today).days,
            stops_on=distribution_stops_on(order),
            in_stock=per_order[order.pk][Metric.NOW_IN_STOCK],
            distributed_open=per_order[order.pk][Metric.NOW_DISTRIBUTED],
        )
        for order in running
    ]

    stock_qs = HolderStock.objects.filter(programme_id__in=programme_ids).select_related(
        "holder", "territory__commune", "programme"
    )
    stock_qs = stock_qs.filter(
        Q(territory_id__in=territory_ids) | Q(territory__isnull=True)
        if whole
        else Q(territory_id__in=territory_ids)
    )
    stock = [
        StockRow(
            holder=s.holder,
            territory=s.territory,
            in_stock=s.in_stock,
            booklets=s.booklets,
            dormant_passes=s.dormant_passes,
            dormant_booklets=s.dormant_booklets,
            oldest_held_since=s.oldest_held_since,
            last_moved_at=s.last_moved_at,
            funder_id=s.programme.funder_id,
        )
        for s in stock_qs.order_by("-dormant_passes", "oldest_held_since", "holder__name")
    ]
    refreshed = (
        Refresh.objects.filter(programme_id__in=programme_ids)
        .order_by("refreshed_at")
        .values_list("refreshed_at", flat=True)
        .first()
    )
    ordered_lines = [lines[t.pk] for t in territories]
    places = place_lines(programme_ids, None if whole else territory_ids)
    if None in lines:
        ordered_lines.append(lines[None])
    return Dashboard(
        programmes=[by_pk[pk] for pk in programme_ids],
        lines=ordered_lines,
        total=total,
        months=sorted(months.items()),
        stock=stock,
        countdown=countdown,
        refreshed_at=refreshed,
        reimbursed_available=payments_available(),
        dormant_days=dormant_days(),
        whole=whole,
        places=places,
    )


def place_lines(
    programme_ids: list[int], territory_ids: list[int] | None = None
) -> list[PlaceLine]:
    """Passes used per place, summed over ``programme_ids`` from the rollup (``PlaceFigure``);
    with ``territory_ids``, only the passes of these territories (a municipality never sees the
    passes of another territory used at the same place). Most used first."""
    rows = PlaceFigure.objects.filter(programme_id__in=programme_ids)
    if territory_ids is not None:
        rows = rows.filter(territory_id__in=territory_ids)
    totals = {
        row["place_id"]: row
        for row in rows.order_by()
        .values("place_id")
        .annotate(redeemed=Sum("redeemed"), reimbursed=Sum("reimbursed"))
    }
    places = Place.objects.filter(pk__in=list(totals)).select_related("operator", "commune")
    result = [
        PlaceLine(
            place=place,
            redeemed=totals[place.pk]["redeemed"],
            reimbursed=totals[place.pk]["reimbursed"],
        )
        for place in places
    ]
    result.sort(key=lambda line: (-line.redeemed, line.place.name, line.place.pk))
    return result


# --- Tables (pages and exports) ---------------------------------------------------------------

AVAILABLE_SOON = "à venir"
NOT_APPLICABLE = "sans objet"


@dataclass
class Table:
    slug: str
    title: str
    header: list[str]
    rows: list[list]


def tables(dashboard: Dashboard) -> dict[str, Table]:
    """The dashboard's tables, as plain values (the pages format them, exports write them)."""
    reimbursed = dashboard.reimbursed_available

    def paid(line: Line):
        return line.reimbursed if reimbursed else AVAILABLE_SOON

    funnel = Table(
        "entonnoir",
        "Entonnoir par territoire",
        [
            "Territoire",
            "Alloués",
            "Remis aux bénéficiaires",
            "Utilisés",
            "Remboursés",
            "Taux d'utilisation (%)",
            "Part PIC (%)",
            "Objectif PIC (%)",
            "Part QPV (%)",
            "Part associative (%)",
            "Délai médian (jours)",
        ],
        [
            [
                line.label,
                line.allocated if line.territory else None,
                line.distributed,
                line.redeemed,
                paid(line),
                line.use_rate,
                line.pic_share,
                line.pic_target if line.territory else None,
                line.qpv_share,
                line.assoc_share,
                line.median_delay,
            ]
            for line in [*dashboard.lines, dashboard.total]
        ],
    )
    months = Table(
        "mois",
        "Flux par mois",
        [
            "Mois",
            "Commandés",
            "Alloués (net)",
            "Remis",
            "Utilisés",
            "Remboursés (mois d'utilisation)",
        ],
        [
            [
                line.label,
                line.ordered if dashboard.whole else NOT_APPLICABLE,
                line.allocated,
                line.distributed,
                line.redeemed,
                paid(line),
            ]
            for _, line in dashboard.months
        ],
    )
    stock = Table(
        "stock",
        "Stock par détenteur",
        [
            "Détenteur",
            "Type",
            "Territoire",
            "Pass en stock",
            "Carnets",
            f"Pass dormants (sans mouvement depuis {dashboard.dormant_days} jours)",
            "Carnets dormants",
            "Détenu depuis (jours, le plus ancien)",
            "Sans mouvement depuis (jours)",
        ],
        [
            [
                row.holder.name,
                row.holder.get_kind_display(),
                row.territory.commune.name if row.territory else "—",
                row.in_stock,
                row.booklets,
                row.dormant_passes,
                row.dormant_booklets,
                row.age_days,
                row.idle_days,
            ]
            for row in dashboard.stock
        ],
    )
    countdown = Table(
        "validite",
        "Fin de validité des commandes",
        [
            "Commande",
            "Fin de validité",
            "Jours restants",
            "Arrêt des remises",
            "Pass en stock",
            "Pass remis non utilisés",
        ],
        [
            [
                item.order.reference,
                item.order.valid_until,
                item.days_left,
                item.stops_on,
                item.in_stock,
                item.distributed_open,
            ]
            for item in dashboard.countdown
        ],
    )
    anct = Table(
        "anct",
        "Rapport ANCT par territoire",
        [
            "Territoire",
            "Code INSEE",
            "Programme",
            "Pass achetés (alloués au territoire)",
            "Pass utilisés",
            "Pass remis",
            "Pass remis à des publics PIC",
            "Part PIC (%)",
            "Règle PIC",
            "Pass remis à des habitants de QPV",
            "Part QPV (%)",
        ],
        [
            [
                line.territory.commune.name,
                line.territory.commune.insee_code,
                line.programme.name,
                line.allocated,
                line.redeemed,
                line.distributed,
                line.counts[Metric.DISTRIBUTED_PIC],
                line.pic_share,
                line.programme.get_pic_rule_display(),
                line.counts[Metric.DISTRIBUTED_QPV],
                line.qpv_share,
            ]
            for line in dashboard.lines
            if line.territory is not None
        ],
    )
    places = Table(
        "lieux",
        "Lieux",
        ["Lieu", "Opérateur", "Commune", "Pass utilisés", "Dont remboursés"],
        [
            [
                line.place.name,
                line.place.operator.name,
                line.place.commune.name,
                line.redeemed,
                line.reimbursed if reimbursed else AVAILABLE_SOON,
            ]
            for line in dashboard.places
        ],
    )
    return {t.slug: t for t in (funnel, months, stock, countdown, anct, places)}


# --- Public statistics ------------------------------------------------------------------------


def small(n: int) -> int | str:
    return n if n >= SMALL_COUNT else f"moins de {SMALL_COUNT}"


def safe_share(part: int, total: int) -> float | None:
    """A share, only when its denominator is not small (no inference about few people)."""
    return percent(part, total) if total >= SMALL_COUNT else None


def public_table(programme: Programme) -> Table:
    """Aggregated figures of one programme per territory, for anyone: no personal data, small
    counts masked, shares only over 11 passes or more."""
    dashboard = build_dashboard([programme])
    rows = []
    for line in [*dashboard.lines, dashboard.total]:
        if line.territory is None and line.label != "Total":
            continue
        rows.append(
            [
                line.label,
                small(line.distributed),
                small(line.redeemed),
                safe_share(line.redeemed, line.distributed),
                safe_share(line.counts[Metric.DISTRIBUTED_PIC], line.distributed),
                safe_share(line.counts[Metric.DISTRIBUTED_QPV], line.distributed),
            ]
        )
    return Table(
        "public",
        programme.name,
        [
            "Territoire",
            "Pass remis",
            "Pass utilisés",
            "Taux d'utilisation (%)",
            "Part PIC (%)",
            "Part QPV (%)",
        ],
        rows,
    )


def public_programmes() -> QuerySet[Programme]:
    """Programmes with computed figures."""
    return (
        Programme.objects.filter(steering_refresh__isnull=False)
        .select_related("funder", "steering_refresh")
        .order_by("-starts_on", "name")
    )


# --- Slices of one prescriber structure or one operator (live, bounded by their own passes) ---


def prescriber_lines(prescriber: Organisation) -> list[Line]:
    """The passes a prescriber structure holds or handed out, per programme: indexed aggregate
    queries over its own passes only (``ledger_pass(holder_id, status)``), never the whole
    ledger. PIC under each programme's rule."""
    from ledger.models import Pass

    from .services import USED, DaysBetween, pic_q

    passes = Pass.objects.filter(holder=prescriber).order_by()
    programme_ids = set(passes.values_list("order__programme_id", flat=True).distinct())
    lines = []
    for programme in Programme.objects.filter(pk__in=programme_ids).order_by("name"):
        mine = passes.filter(order__programme=programme)
        line = Line(label=programme.name, programme=programme)
        line.pic_target = programme.pic_target_percent
        handed = mine.filter(distributed_at__isnull=False).aggregate(
            n=models_count(),
            pic=models_count(pic_q(programme.pic_rule)),
            qpv=models_count(Q(beneficiary__lives_in_qpv="oui")),
        )
        line.counts[Metric.DISTRIBUTED] = handed["n"]
        line.counts[Metric.DISTRIBUTED_PIC] = handed["pic"]
        line.counts[Metric.DISTRIBUTED_QPV] = handed["qpv"]
        used = mine.filter(status__in=USED)
        line.counts[Metric.REDEEMED] = used.count()
        line.counts[Metric.NOW_IN_STOCK] = mine.filter(status="IN_STOCK").count()
        for row in (
            used.filter(distributed_at__isnull=False)
            .values(days=DaysBetween("distributed_at", "redeemed_at"))
            .annotate(n=models_count())
        ):
            line.delays[max(0, row["days"])] += row["n"]
        lines.append(line)
    return lines


def operator_rows(operator: Organisation) -> list[list]:
    """Passes the operator accepted, per place and month of redemption (its own redemptions
    only, through ``ledger_redemption(operator_id)``)."""
    from ledger.models import Pass

    from .services import USED, month_of

    rows = (
        Pass.objects.filter(redemption__operator=operator, status__in=USED)
        .order_by()
        .values("redemption__place__name", month=month_of("redeemed_at"))
        .annotate(n=models_count(), paid=models_count(Q(status="REIMBURSED")))
        .order_by("month", "redemption__place__name")
    )
    return [
        [f"{row['month']:%m/%Y}", row["redemption__place__name"], row["n"], row["paid"]]
        for row in rows
    ]


def models_count(condition: Q | None = None):
    from django.db.models import Count

    return Count("pk", filter=condition) if condition is not None else Count("pk")
