from django.conf import settings
from django.db import models


class Programme(models.Model):
    """A funder's deployment of pass numériques, e.g. « Pass numérique Grand Paris 2021 »."""

    class PicRule(models.TextChoices):
        BELOW_BAC = "BELOW_BAC", "Niveau inférieur au baccalauréat"
        UP_TO_BAC = "UP_TO_BAC", "Niveau inférieur ou égal au baccalauréat"

    class PaymentMode(models.TextChoices):
        ISSUER = "ISSUER", "Par l'émetteur (virement SEPA)"
        PUBLIC_ACCOUNTING = "PUBLIC_ACCOUNTING", "Par le commanditaire (comptable public)"

    funder = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="commanditaire",
        on_delete=models.PROTECT,
        related_name="programmes",
    )
    issuer = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="émetteur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issued_programmes",
    )
    hub = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="hub territorial",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hub_programmes",
    )
    name = models.CharField("nom", max_length=200)
    starts_on = models.DateField("début")
    ends_on = models.DateField("fin")
    perimeter = models.ManyToManyField(
        "geo.Commune", verbose_name="périmètre", related_name="programmes", blank=True
    )
    pic_rule = models.CharField(
        "règle PIC", max_length=10, choices=PicRule.choices, default=PicRule.BELOW_BAC
    )
    pic_target_percent = models.PositiveSmallIntegerField("objectif PIC (%)", default=50)
    payment_mode = models.CharField(
        "contre-paiement", max_length=17, choices=PaymentMode.choices, default=PaymentMode.ISSUER
    )
    upstream_fee_basis_points = models.PositiveIntegerField(
        "frais amont (points de base)", default=400, help_text="400 = 4 % de la valeur commandée."
    )
    downstream_fee_basis_points = models.PositiveIntegerField(
        "frais aval (points de base)", default=400, help_text="400 = 4 % des pass encaissés."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "programme"
        verbose_name_plural = "programmes"
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="programme_dates_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(pic_target_percent__lte=100), name="programme_pic_target_percent"
            ),
            models.CheckConstraint(
                condition=models.Q(pic_rule__in=["BELOW_BAC", "UP_TO_BAC"]),
                name="programme_pic_rule_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(payment_mode="PUBLIC_ACCOUNTING")
                | models.Q(payment_mode="ISSUER", issuer__isnull=False),
                name="programme_issuer_required_when_issuer_pays",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    upstream_fee_basis_points__lte=10000, downstream_fee_basis_points__lte=10000
                ),
                name="programme_fees_at_most_100_percent",
            ),
            models.UniqueConstraint(fields=["funder", "name"], name="programme_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Territory(models.Model):
    """A municipality taking part in a programme (a commune or a Paris arrondissement)."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="territories")
    municipality = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="collectivité",
        on_delete=models.PROTECT,
        related_name="territories",
    )
    commune = models.ForeignKey(
        "geo.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    referents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name="référents", blank=True, related_name="+"
    )
    booklets_allocated = models.PositiveIntegerField("carnets alloués", default=0)
    joined_on = models.DateField("entrée dans le programme")
    is_pilot = models.BooleanField("territoire d'expérimentation initial", default=False)

    class Meta:
        verbose_name = "territoire"
        verbose_name_plural = "territoires"
        ordering = ["commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "commune"], name="territory_unique_commune"
            ),
            models.UniqueConstraint(
                fields=["programme", "municipality"], name="territory_unique_municipality"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune.name} — {self.programme}"
