"""The funder side of the money: the issuer's invoice for an order, the credit note (avoir) for
the face value of unused passes at the end of validity, and the gap-free numbering of both.

Amounts are integer cents, stored when the document is issued and never recomputed: a document
is immutable once issued (``save`` on an existing row, ``update`` and ``delete`` raise). The
names, SIRET and addresses of both parties are copied at issue time, so a later change of an
organisation never changes an issued document.

Rounding (documented once, used by services.py):
- upstream fee = face value ordered × basis points / 10 000, rounded half up to the cent:
  ``(face_total × bp + 5 000) // 10 000`` (``Order.upstream_fee_cents``);
- State co-financing = 50 % of the value of passes used, rounded half up to the cent:
  ``(value + 1) // 2`` (queries.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ImmutableDocument(Exception):
    pass


class ImmutableQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDocument("Un document comptable émis ne se modifie pas.")

    def delete(self):
        raise ImmutableDocument("Un document comptable émis ne se supprime pas.")


class DocumentKind(models.TextChoices):
    INVOICE = "INVOICE", "Facture"
    CREDIT_NOTE = "CREDIT_NOTE", "Avoir"


class DocumentSequence(models.Model):
    """The last number used per issuer, kind of document and year. Locked (select_for_update)
    while a document takes the next number, in the same transaction as the document: a rolled
    back issue also rolls back its number, so the sequence has no gap."""

    issuer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=11, choices=DocumentKind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "séquence de numérotation"
        verbose_name_plural = "séquences de numérotation"
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "kind", "year"], name="document_sequence_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["INVOICE", "CREDIT_NOTE"]), name="document_sequence_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.year} : {self.last_value}"


class IssuedDocument(models.Model):
    """What an invoice and a credit note share: number, parties (copied), date, author."""

    issuer = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    funder = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField("année")
    sequence = models.PositiveIntegerField("numéro d'ordre")
    number = models.CharField("numéro", max_length=30, unique=True)
    issued_on = models.DateField("date d'émission")
    issued_at = models.DateTimeField("émis le")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The parties and the order, as they were at issue time.
    issuer_name = models.CharField("émetteur", max_length=200)
    issuer_siret = models.CharField("SIRET de l'émetteur", max_length=14, blank=True)
    issuer_address = models.CharField("adresse de l'émetteur", max_length=400, blank=True)
    funder_name = models.CharField("commanditaire", max_length=200)
    funder_siret = models.CharField("SIRET du commanditaire", max_length=14, blank=True)
    funder_address = models.CharField("adresse du commanditaire", max_length=400, blank=True)
    programme_name = models.CharField("programme", max_length=200)
    order_reference = models.CharField("référence de la commande", max_length=30)
    payment_reference = models.CharField("référence de paiement", max_length=60, blank=True)
    # Big integers, so that products (count × value) never overflow on PostgreSQL.
    pass_count = models.PositiveBigIntegerField("nombre de pass")
    face_value_cents = models.PositiveBigIntegerField("valeur faciale d'un pass (centimes)")

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ImmutableDocument(f"{self.number} est émis : il ne se modifie plus.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDocument(f"{self.number} est émis : il ne se supprime pas.")


class Invoice(IssuedDocument):
    """The issuer's invoice to the funder for one order: the face value of the passes ordered
    (when the issuer pays the operators) plus the upstream fee."""

    order = models.OneToOneField(
        "ledger.Order", on_delete=models.PROTECT, related_name="invoice", verbose_name="commande"
    )
    includes_face_value = models.BooleanField(
        "valeur des pass facturée",
        help_text="Non quand le commanditaire paie lui-même les opérateurs (comptable public).",
    )
    face_value_total_cents = models.PositiveBigIntegerField("valeur des pass (centimes)")
    fee_basis_points = models.PositiveBigIntegerField("frais amont (points de base)")
    fee_base_cents = models.PositiveBigIntegerField("assiette des frais amont (centimes)")
    fee_cents = models.PositiveBigIntegerField("frais amont (centimes)")
    total_cents = models.PositiveBigIntegerField("total (centimes)")

    class Meta:
        verbose_name = "facture"
        verbose_name_plural = "factures"
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "sequence"], name="invoice_number_unique_per_issuer"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="invoice_sequence_gte_1"),
            models.CheckConstraint(
                condition=Q(includes_face_value=False, face_value_total_cents=0)
                | Q(
                    includes_face_value=True,
                    face_value_total_cents=F("pass_count") * F("face_value_cents"),
                ),
                name="invoice_face_value_total",
            ),
            models.CheckConstraint(
                condition=Q(fee_base_cents=F("pass_count") * F("face_value_cents")),
                name="invoice_fee_base_is_value_ordered",
            ),
            models.CheckConstraint(
                condition=Q(fee_cents=(F("fee_base_cents") * F("fee_basis_points") + 5000) / 10000),
                name="invoice_fee_rounded_half_up",
            ),
            models.CheckConstraint(
                condition=Q(total_cents=F("face_value_total_cents") + F("fee_cents")),
                name="invoice_total_is_sum",
            ),
        ]


class CreditNote(IssuedDocument):
    """The credit note (avoir) at the end of validity: the face value of every pass of the order
    that was not used — expired (never used) and cancelled (lost, stolen, blocked: never used and
    never payable). The upstream fee is not credited (« sur la base de leur seule valeur
    faciale »). The figures are those of the « état contradictoire » both parties sign."""

    order = models.OneToOneField(
        "ledger.Order",
        on_delete=models.PROTECT,
        related_name="credit_note",
        verbose_name="commande",
    )
    invoice = models.OneToOneField(
        Invoice, on_delete=models.PROTECT, related_name="credit_note", verbose_name="facture"
    )
    redeemable_until = models.DateField("fin de validité, tolérance comprise")
    used_count = models.PositiveBigIntegerField("pass utilisés")
    reimbursed_count = models.PositiveBigIntegerField("pass remboursés aux opérateurs")
    reimbursed_cents = models.PositiveBigIntegerField("montant remboursé aux opérateurs")
    expired_count = models.PositiveBigIntegerField("pass expirés")
    cancelled_count = models.PositiveBigIntegerField("pass annulés")
    credited_count = models.PositiveBigIntegerField("pass crédités")
    amount_cents = models.PositiveBigIntegerField("montant de l'avoir (centimes)")

    class Meta:
        verbose_name = "avoir"
        verbose_name_plural = "avoirs"
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["issuer", "year", "sequence"], name="credit_note_number_unique_per_issuer"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="credit_note_sequence_gte_1"),
            models.CheckConstraint(
                condition=Q(credited_count=F("expired_count") + F("cancelled_count")),
                name="credit_note_credits_unused",
            ),
            models.CheckConstraint(
                condition=Q(pass_count=F("used_count") + F("credited_count")),
                name="credit_note_every_pass_counted",
            ),
            models.CheckConstraint(
                condition=Q(amount_cents=F("credited_count") * F("face_value_cents")),
                name="credit_note_amount_is_face_value",
            ),
            models.CheckConstraint(
                condition=Q(reimbursed_count__lte=F("used_count")),
                name="credit_note_reimbursed_le_used",
            ),
        ]
