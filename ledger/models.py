"""The pass ledger: orders, booklets (carnets), passes, their append-only events, transfers of
custody and redemptions. Pass states are a cached projection of the events (verify_ledger)."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class OrderStatus(models.TextChoices):
    DRAFT = "DRAFT", "Brouillon"
    CONFIRMED = "CONFIRMED", "Confirmée"
    ACTIVATED = "ACTIVATED", "Activée"
    CLOSING = "CLOSING", "En clôture"
    CLOSED = "CLOSED", "Clôturée"
    EXPIRED = "EXPIRED", "Expirée"


class PassStatus(models.TextChoices):
    ISSUED = "ISSUED", "Émis"
    IN_STOCK = "IN_STOCK", "En stock"
    DISTRIBUTED = "DISTRIBUTED", "Distribué"
    REDEEMED = "REDEEMED", "Utilisé"
    REIMBURSED = "REIMBURSED", "Remboursé"
    CANCELLED = "CANCELLED", "Annulé"
    EXPIRED = "EXPIRED", "Expiré"


def _values(choices) -> list[str]:
    return [value for value, _ in choices.choices]


class Order(models.Model):
    """A funder's order of booklets to an issuer (« commande »)."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="orders"
    )
    funder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="orders"
    )
    issuer = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="issuer_orders",
        null=True,
        blank=True,
    )
    reference = models.CharField("référence", max_length=30, unique=True)
    booklet_count = models.PositiveIntegerField("nombre de carnets")
    passes_per_booklet = models.PositiveSmallIntegerField("pass par carnet", default=10)
    face_value_cents = models.PositiveIntegerField("valeur faciale (centimes)", default=1000)
    valid_until = models.DateField("fin de validité")
    tolerance_days = models.PositiveSmallIntegerField("tolérance (jours)", default=31)
    perimeter = models.ManyToManyField(
        "geo.Commune", verbose_name="périmètre", related_name="+", blank=True
    )
    allowed_themes = models.JSONField("thèmes autorisés", default=list, blank=True)
    print_text = models.TextField("texte personnalisé imprimé", blank=True, max_length=600)
    logo = models.FileField("logo imprimé", upload_to="orders/logos/", blank=True)
    accept_in_stock = models.BooleanField(
        "accepter un pass encore en stock",
        default=True,
        help_text="Les pass sont au porteur : par défaut accepté, et signalé au commanditaire.",
    )
    status = models.CharField(
        "état", max_length=9, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    payment_reference = models.CharField(
        "référence de paiement (n° de mandat)", max_length=60, blank=True
    )
    key_id = models.CharField("identifiant de la clé des codes", max_length=40)
    first_pass_number = models.BigIntegerField(null=True, blank=True, editable=False)
    first_booklet_number = models.BigIntegerField(null=True, blank=True, editable=False)
    issued_at = models.DateTimeField("émise le", null=True, blank=True)
    confirmed_at = models.DateTimeField("confirmée le", null=True, blank=True)
    activated_at = models.DateTimeField("activée le", null=True, blank=True)
    closed_at = models.DateTimeField("clôturée le", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)

    class Meta:
        verbose_name = "commande"
        verbose_name_plural = "commandes"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=_values(OrderStatus)), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(passes_per_booklet__in=[5, 10]), name="order_5_or_10_passes"
            ),
            models.CheckConstraint(condition=Q(booklet_count__gte=1), name="order_booklets_gte_1"),
            models.CheckConstraint(condition=Q(face_value_cents__gte=1), name="order_face_value"),
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "CONFIRMED"])
                | (Q(activated_at__isnull=False) & ~Q(payment_reference="")),
                name="order_activation_needs_payment_reference",
            ),
            models.CheckConstraint(
                condition=(Q(first_pass_number__isnull=True) & Q(issued_at__isnull=True))
                | (Q(first_pass_number__isnull=False) & Q(issued_at__isnull=False)),
                name="order_issuance_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def pass_count(self) -> int:
        return self.booklet_count * self.passes_per_booklet

    @property
    def face_value_total_cents(self) -> int:
        return self.pass_count * self.face_value_cents

    @property
    def upstream_fee_cents(self) -> int:
        """Fee on the face value ordered, rounded half up to the cent."""
        bp = self.programme.upstream_fee_basis_points
        return (self.face_value_total_cents * bp + 5000) // 10000

    @property
    def redeemable_until(self):
        return self.valid_until + timedelta(days=self.tolerance_days)

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None


class Booklet(models.Model):
    """A carnet of 5 or 10 passes. Custody moves booklet by booklet."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="booklets")
    number = models.BigIntegerField("numéro", unique=True)
    serial = models.CharField("n° de carnet", max_length=9, unique=True)
    holder = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="détenteur",
        on_delete=models.PROTECT,
        related_name="booklets",
        null=True,
        blank=True,
    )
    holder_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="prescripteur nommé",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    held_since = models.DateTimeField("détenu depuis", null=True, blank=True)
    last_moved_at = models.DateTimeField("dernier mouvement", null=True, blank=True)
    pending_transfer = models.ForeignKey(
        "Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "carnet"
        verbose_name_plural = "carnets"
        ordering = ["number"]
        indexes = [models.Index(fields=["holder", "number"])]

    def __str__(self) -> str:
        return self.serial


class Pass(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="passes")
    booklet = models.ForeignKey(Booklet, on_delete=models.PROTECT, related_name="passes")
    number = models.BigIntegerField("numéro", unique=True)
    serial = models.CharField("n° de pass", max_length=10, unique=True)
    status = models.CharField(
        "état", max_length=11, choices=PassStatus.choices, default=PassStatus.ISSUED
    )
    holder = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="détenteur",
        on_delete=models.PROTECT,
        related_name="passes",
        null=True,
        blank=True,
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="passes",
    )
    distributed_at = models.DateTimeField("distribué le", null=True, blank=True)
    redeemed_at = models.DateTimeField("utilisé le", null=True, blank=True)
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="passes"
    )
    redeemed_from_stock = models.BooleanField("utilisé alors qu'en stock", default=False)

    class Meta:
        verbose_name = "pass"
        verbose_name_plural = "pass"
        ordering = ["number"]
        indexes = [
            models.Index(fields=["order", "status"]),
            models.Index(fields=["holder", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=_values(PassStatus)), name="pass_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["REDEEMED", "REIMBURSED"])
                | (Q(redemption__isnull=False) & Q(redeemed_at__isnull=False)),
                name="pass_redeemed_has_redemption",
            ),
            models.CheckConstraint(
                condition=Q(redemption__isnull=True) | Q(status__in=["REDEEMED", "REIMBURSED"]),
                name="pass_redemption_only_when_redeemed",
            ),
            models.CheckConstraint(
                condition=~Q(status="DISTRIBUTED") | Q(distributed_at__isnull=False),
                name="pass_distributed_dated",
            ),
        ]

    def __str__(self) -> str:
        return self.serial


class EventKind(models.TextChoices):
    ISSUED = "ISSUED", "Émission"
    ACTIVATED = "ACTIVATED", "Activation"
    TRANSFERRED = "TRANSFERRED", "Remise à une structure"
    RECEIVED = "RECEIVED", "Accusé de réception"
    RETURNED = "RETURNED", "Retour"
    REALLOCATED = "REALLOCATED", "Réallocation"
    DISTRIBUTED = "DISTRIBUTED", "Remise à un bénéficiaire"
    REDEEMED = "REDEEMED", "Utilisation"
    REIMBURSED = "REIMBURSED", "Remboursement"
    CANCELLED = "CANCELLED", "Annulation"
    EXPIRED = "EXPIRED", "Expiration"


class PassEventQuerySet(models.QuerySet["PassEvent"]):
    def update(self, **kwargs):
        raise PassEvent.Immutable("Le registre est en ajout seul : aucune modification.")

    def delete(self):
        raise PassEvent.Immutable("Le registre est en ajout seul : aucune suppression.")

    def for_pass(self, pass_: "Pass") -> "PassEventQuerySet":
        return self.filter(
            order_id=pass_.order_id, first_number__lte=pass_.number, last_number__gte=pass_.number
        )


class PassEvent(models.Model):
    """One change of one pass or of a range of consecutive passes. Never updated nor deleted.

    The range is exact: the event applies to every pass numbered first..last of its order, so the
    history of one pass is ``PassEvent.objects.for_pass(p)``.

    Each row carries an HMAC signature of its content, computed with a key that lives outside the
    database: verify_ledger detects a changed row.
    """

    class Immutable(Exception):
        pass

    created_at = models.DateTimeField("date", db_index=True)
    kind = models.CharField("événement", max_length=11, choices=EventKind.choices)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="events")
    first_number = models.BigIntegerField("premier pass")
    last_number = models.BigIntegerField("dernier pass")
    pass_count = models.PositiveIntegerField("nombre de pass")
    to_status = models.CharField(
        "nouvel état", max_length=11, choices=PassStatus.choices, blank=True
    )
    from_holder = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    to_holder = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    transfer = models.ForeignKey(
        "Transfer", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    redemption = models.ForeignKey(
        "Redemption", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField("motif", max_length=250, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)
    signature = models.CharField("signature", max_length=64)

    objects = PassEventQuerySet.as_manager()

    class Meta:
        verbose_name = "événement de pass"
        verbose_name_plural = "registre des pass"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "first_number", "last_number"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=_values(EventKind)), name="passevent_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(first_number__lte=F("last_number")), name="passevent_range_ordered"
            ),
            models.CheckConstraint(
                condition=Q(pass_count=F("last_number") - F("first_number") + 1),
                name="passevent_count_is_range_length",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_number}–{self.last_number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise self.Immutable("Le registre est en ajout seul : un événement ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.Immutable("Le registre est en ajout seul : un événement ne se supprime pas.")


class TransferKind(models.TextChoices):
    ALLOCATION = "ALLOCATION", "Remise"
    RETURN = "RETURN", "Retour"
    REALLOCATION = "REALLOCATION", "Réallocation"


class Transfer(models.Model):
    """Booklets handed from one holder to another; the receiver acknowledges receipt."""

    kind = models.CharField("type", max_length=12, choices=TransferKind.choices)
    from_holder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_holder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="transfers_in"
    )
    to_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    booklets = models.ManyToManyField(Booklet, related_name="transfers")
    booklet_count = models.PositiveIntegerField("nombre de carnets")
    note = models.CharField("note", max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField("remis le", auto_now_add=True)
    acknowledged_at = models.DateTimeField("reçu le", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "transfert de carnets"
        verbose_name_plural = "transferts de carnets"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=_values(TransferKind)), name="transfer_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(from_holder=F("to_holder")), name="transfer_between_two_holders"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
                name="transfer_acknowledgement_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} de {self.booklet_count} carnet(s) à {self.to_holder}"


class Redemption(models.Model):
    """An operator accepts one or several passes for one service at one of its places.

    All or nothing; the idempotency key makes a retry return the first answer."""

    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="redemptions"
    )
    place = models.ForeignKey("operators.Place", on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("operators.Service", on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField("clé d'idempotence", max_length=100)
    pass_count = models.PositiveSmallIntegerField("nombre de pass")
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField("date", auto_now_add=True)

    class Meta:
        verbose_name = "encaissement"
        verbose_name_plural = "encaissements"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["operator", "idempotency_key"], name="redemption_idempotency_key_unique"
            ),
            models.CheckConstraint(condition=Q(pass_count__gte=1), name="redemption_has_passes"),
        ]

    def __str__(self) -> str:
        return f"Encaissement n° {self.pk}"


class RedemptionLine(models.Model):
    """A pass in a redemption: a pass is redeemed at most once (unique constraint)."""

    redemption = models.ForeignKey(Redemption, on_delete=models.PROTECT, related_name="lines")
    pass_obj = models.ForeignKey(
        Pass, on_delete=models.PROTECT, related_name="redemption_lines", db_column="pass_id"
    )
    amount_cents = models.PositiveIntegerField("montant (centimes)")

    class Meta:
        verbose_name = "pass encaissé"
        verbose_name_plural = "pass encaissés"
        constraints = [
            models.UniqueConstraint(fields=["pass_obj"], name="redemption_line_pass_once"),
        ]

    def __str__(self) -> str:
        return f"Pass {self.pass_obj_id} — encaissement {self.redemption_id}"


class SerialCounter(models.Model):
    """Next free pass and booklet numbers; locked while an order reserves its block."""

    name = models.CharField(max_length=20, primary_key=True)
    next_value = models.BigIntegerField()

    class Meta:
        verbose_name = "compteur de numéros"

    def __str__(self) -> str:
        return f"{self.name} : {self.next_value}"
