"""Steering figures: a rollup of the pass ledger, rebuilt per programme by a job.

See ``steering/README.md`` for the scale design: the dashboards read only these tables (a few
thousand rows per programme, whatever the number of passes); ``services.refresh_programme``
recomputes them from the ledger with set-based GROUP BY queries in one transaction.
"""

from django.db import models
from django.db.models import Q


class Metric(models.TextChoices):
    ORDERED = "ORDERED", "Pass commandés (émis)"
    ALLOCATED_IN = "ALLOCATED_IN", "Pass alloués au territoire"
    ALLOCATED_OUT = "ALLOCATED_OUT", "Pass repris au territoire"
    DISTRIBUTED = "DISTRIBUTED", "Pass remis aux bénéficiaires"
    DISTRIBUTED_PIC = "DISTRIBUTED_PIC", "Pass remis à des publics PIC"
    DISTRIBUTED_QPV = "DISTRIBUTED_QPV", "Pass remis à des habitants de QPV"
    REDEEMED = "REDEEMED", "Pass utilisés"
    REDEEMED_ASSOC = "REDEEMED_ASSOC", "Pass utilisés chez un opérateur associatif privé"
    REIMBURSED = "REIMBURSED", "Pass remboursés"
    DELAY = "DELAY", "Pass utilisés, par délai en jours depuis la remise"
    NOW_IN_STOCK = "NOW_IN_STOCK", "Pass en stock (état au calcul)"
    NOW_DISTRIBUTED = "NOW_DISTRIBUTED", "Pass remis, pas encore utilisés (état au calcul)"


class Refresh(models.Model):
    """When a programme's figures were last computed from the ledger."""

    programme = models.OneToOneField(
        "programmes.Programme", on_delete=models.CASCADE, related_name="steering_refresh"
    )
    refreshed_at = models.DateTimeField("calculé le")
    duration_ms = models.PositiveIntegerField("durée (ms)", default=0)
    pass_count = models.BigIntegerField("pass du programme", default=0)

    class Meta:
        verbose_name = "calcul des chiffres"
        verbose_name_plural = "calculs des chiffres"
        constraints = [
            models.CheckConstraint(condition=Q(pass_count__gte=0), name="steering_refresh_count")
        ]

    def __str__(self) -> str:
        return f"{self.programme} — {self.refreshed_at:%d/%m/%Y %H:%M}"


class Figure(models.Model):
    """Passes of one order, in one territory (or none: still with the funder), in one month,
    for one metric (and, for DELAY, one number of days)."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="+"
    )
    order = models.ForeignKey("ledger.Order", on_delete=models.CASCADE, related_name="+")
    territory = models.ForeignKey(
        "programmes.Territory", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    month = models.DateField("mois")
    metric = models.CharField("indicateur", max_length=15, choices=Metric.choices)
    bucket = models.IntegerField("jours (délai)", default=0)
    value = models.BigIntegerField("nombre de pass")

    class Meta:
        verbose_name = "chiffre de pilotage"
        verbose_name_plural = "chiffres de pilotage"
        indexes = [models.Index(fields=["programme", "territory", "metric"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(metric__in=[value for value, _ in Metric.choices]),
                name="steering_figure_metric_valid",
            ),
            models.CheckConstraint(condition=Q(value__gt=0), name="steering_figure_positive"),
            models.CheckConstraint(
                condition=Q(month__day=1), name="steering_figure_month_first_day"
            ),
            models.CheckConstraint(
                condition=Q(bucket=0) | Q(metric="DELAY", bucket__gte=0),
                name="steering_figure_bucket_only_for_delay",
            ),
            models.UniqueConstraint(
                fields=["programme", "order", "territory", "month", "metric", "bucket"],
                condition=Q(territory__isnull=False),
                name="steering_figure_unique_territory",
            ),
            models.UniqueConstraint(
                fields=["programme", "order", "month", "metric", "bucket"],
                condition=Q(territory__isnull=True),
                name="steering_figure_unique_no_territory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric} {self.month:%m/%Y} : {self.value}"


class HolderStock(models.Model):
    """A holder's stock of one programme at the last computation: passes in stock, the dormant
    part (booklets without movement for DORMANT_STOCK_DAYS) and the oldest custody date."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="+"
    )
    holder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    territory = models.ForeignKey(
        "programmes.Territory", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    in_stock = models.BigIntegerField("pass en stock")
    booklets = models.BigIntegerField("carnets")
    dormant_passes = models.BigIntegerField("pass dormants")
    dormant_booklets = models.BigIntegerField("carnets dormants")
    oldest_held_since = models.DateTimeField("détenu depuis (le plus ancien)", null=True)
    last_moved_at = models.DateTimeField("dernier mouvement", null=True)

    class Meta:
        verbose_name = "stock d'un détenteur"
        verbose_name_plural = "stocks des détenteurs"
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "holder"], name="steering_holder_stock_unique"
            ),
            models.CheckConstraint(
                condition=Q(in_stock__gt=0, booklets__gt=0)
                & Q(dormant_passes__gte=0, dormant_passes__lte=models.F("in_stock"))
                & Q(dormant_booklets__gte=0, dormant_booklets__lte=models.F("booklets")),
                name="steering_holder_stock_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder} : {self.in_stock}"


class PlaceFigure(models.Model):
    """Passes of a programme used at one place, from one territory (the territory holding the
    passes when they were used; none for passes used straight from the funder's stock): the
    figures of the places on the steering maps. One row per (place, territory): its size grows
    with places, not with passes."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, related_name="+"
    )
    place = models.ForeignKey("operators.Place", on_delete=models.CASCADE, related_name="+")
    territory = models.ForeignKey(
        "programmes.Territory", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    redeemed = models.BigIntegerField("pass utilisés")
    reimbursed = models.BigIntegerField("dont remboursés")

    class Meta:
        verbose_name = "chiffre d'un lieu"
        verbose_name_plural = "chiffres des lieux"
        indexes = [models.Index(fields=["programme", "territory"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    redeemed__gt=0, reimbursed__gte=0, reimbursed__lte=models.F("redeemed")
                ),
                name="steering_place_figure_consistent",
            ),
            models.UniqueConstraint(
                fields=["programme", "place", "territory"],
                condition=Q(territory__isnull=False),
                name="steering_place_figure_unique_territory",
            ),
            models.UniqueConstraint(
                fields=["programme", "place"],
                condition=Q(territory__isnull=True),
                name="steering_place_figure_unique_no_territory",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place_id} : {self.redeemed}"
