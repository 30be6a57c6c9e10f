from django.db import models


def coordinates_check(name: str) -> models.CheckConstraint:
    """A position (``latitude``, ``longitude``) is both coordinates in range, or neither. NULL
    passes a CHECK, so both are required explicitly (used by communes and places)."""
    return models.CheckConstraint(
        condition=models.Q(latitude__isnull=True, longitude__isnull=True)
        | models.Q(
            latitude__isnull=False,
            longitude__isnull=False,
            latitude__gte=-90,
            latitude__lte=90,
            longitude__gte=-180,
            longitude__lte=180,
        ),
        name=name,
    )


class Intercommunality(models.Model):
    """An EPCI (métropole, communauté…) or an EPT of the Métropole du Grand Paris."""

    class Kind(models.TextChoices):
        METRO = "METRO", "Métropole"
        CU = "CU", "Communauté urbaine"
        CA = "CA", "Communauté d'agglomération"
        CC = "CC", "Communauté de communes"
        EPT = "EPT", "Établissement public territorial"

    code = models.CharField("SIREN", max_length=9, primary_key=True)
    name = models.CharField("nom", max_length=200)
    kind = models.CharField("nature", max_length=5, choices=Kind.choices)

    class Meta:
        verbose_name = "intercommunalité"
        verbose_name_plural = "intercommunalités"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["METRO", "CU", "CA", "CC", "EPT"]),
                name="intercommunality_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Commune(models.Model):
    """A French commune, or a municipal arrondissement (Paris, Lyon, Marseille).

    Arrondissements are territories of their own (Paris 13e, Paris 15e); they point to their
    parent commune and inherit its EPCI.
    """

    class Kind(models.TextChoices):
        COMMUNE = "COMMUNE", "Commune"
        ARRONDISSEMENT = "ARRONDISSEMENT", "Arrondissement municipal"

    insee_code = models.CharField("code INSEE", max_length=5, primary_key=True)
    name = models.CharField("nom", max_length=200, db_index=True)
    kind = models.CharField("nature", max_length=15, choices=Kind.choices, default=Kind.COMMUNE)
    department = models.CharField("département", max_length=3, db_index=True)
    # Three characters for the collectivités d'outre-mer (e.g. "975", Saint-Pierre-et-Miquelon).
    region = models.CharField("région", max_length=3, blank=True)
    postal_codes = models.JSONField("codes postaux", default=list, blank=True)
    population = models.PositiveIntegerField("population municipale", null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name="commune de rattachement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="arrondissements",
    )
    epci = models.ForeignKey(
        Intercommunality,
        verbose_name="EPCI",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="communes",
    )
    ept = models.ForeignKey(
        Intercommunality,
        verbose_name="EPT",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ept_communes",
    )
    # The centre of the commune (for the steering maps), from the national address API
    # (``manage.py geocode_communes``); unknown until geocoded.
    latitude = models.DecimalField(
        "latitude du centre", max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        "longitude du centre", max_digits=9, decimal_places=6, null=True, blank=True
    )

    class Meta:
        verbose_name = "commune"
        verbose_name_plural = "communes"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(insee_code__regex=r"^[0-9][0-9AB][0-9]{3}$"),
                name="commune_insee_code_format",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="COMMUNE", parent__isnull=True)
                | models.Q(kind="ARRONDISSEMENT", parent__isnull=False),
                name="commune_arrondissement_has_parent",
            ),
            coordinates_check("commune_centre_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.insee_code})"


class Qpv(models.Model):
    """A quartier prioritaire de la politique de la ville (QPV), e.g. QN09301M."""

    code = models.CharField("code", max_length=10, primary_key=True)
    name = models.CharField("nom", max_length=250)
    communes = models.ManyToManyField(Commune, verbose_name="communes", related_name="qpvs")

    class Meta:
        verbose_name = "quartier prioritaire (QPV)"
        verbose_name_plural = "quartiers prioritaires (QPV)"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^Q[NP][0-9A-Z]{6}$"),
                name="qpv_code_format",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
