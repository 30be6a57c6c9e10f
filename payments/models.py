"""Counter-payment (« contre-paiement »): monthly runs that pay operators back for the passes they
redeemed, the payer's debtor bank account, and the items that make a pass paid at most once.

- ``PaymentRun``: one payer (the issuer, or the funder in public-accounting mode), one programme,
  one period; DRAFT → VALIDATED → EXPORTED → PAID (a draft or a validated run may be CANCELLED).
- ``PaymentLine``: one operator and bank account in a run, gross − fee = net (constraint).
- ``PaymentItem``: one redeemed pass in a line. A partial unique index on the pass (items not
  rejected) makes a pass paid at most once; a bank reject flags the line's items as rejected, which
  frees their passes for the next run.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class RunStatus(models.TextChoices):
    DRAFT = "DRAFT", "Brouillon"
    VALIDATED = "VALIDATED", "Validée"
    EXPORTED = "EXPORTED", "Exportée"
    PAID = "PAID", "Payée"
    CANCELLED = "CANCELLED", "Annulée"


OPEN_STATUSES = (RunStatus.DRAFT, RunStatus.VALIDATED, RunStatus.EXPORTED)


class LineStatus(models.TextChoices):
    PENDING = "PENDING", "À payer"
    PAID = "PAID", "Payée"
    REJECTED = "REJECTED", "Rejetée"


def _values(choices) -> list[str]:
    return [value for value, _ in choices.choices]


class PayerBankAccount(models.Model):
    """The payer's own account, debited by the SEPA transfer file. Append-only: a change adds a
    row, the latest one is current."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="payer_accounts"
    )
    name = models.CharField("titulaire du compte", max_length=70)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "compte à débiter"
        verbose_name_plural = "comptes à débiter"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"),
                name="payer_account_iban_format",
            ),
            models.CheckConstraint(
                condition=Q(bic__regex=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$"),
                name="payer_account_bic_format",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="payer_account_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — IBAN …{self.iban[-4:]}"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}"


class PaymentRun(models.Model):
    payer = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="payeur",
        on_delete=models.PROTECT,
        related_name="payment_runs",
    )
    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="payment_runs"
    )
    reference = models.CharField("référence", max_length=40, unique=True)
    payment_mode = models.CharField("mode de paiement", max_length=17)
    period_start = models.DateField("début de période")
    period_end = models.DateField("fin de période")
    status = models.CharField(
        "état", max_length=9, choices=RunStatus.choices, default=RunStatus.DRAFT
    )
    fee_basis_points = models.PositiveIntegerField("frais aval (points de base)")
    pass_count = models.PositiveIntegerField("nombre de pass", default=0)
    gross_cents = models.BigIntegerField("montant brut (centimes)", default=0)
    fee_cents = models.BigIntegerField("frais (centimes)", default=0)
    net_cents = models.BigIntegerField("montant net (centimes)", default=0)
    blocked = models.JSONField("opérateurs bloqués", default=list, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField("préparée le")
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    validated_at = models.DateTimeField("validée le", null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    exported_at = models.DateTimeField("exportée le", null=True, blank=True)
    export_filename = models.CharField("fichier exporté", max_length=100, blank=True)
    export_content = models.BinaryField("contenu exporté", null=True, blank=True)
    export_sha256 = models.CharField("empreinte SHA-256", max_length=64, blank=True)
    exported_count = models.PositiveIntegerField("virements exportés", default=0)
    exported_cents = models.BigIntegerField("montant exporté (centimes)", default=0)
    # The ReqdExctnDt of the SEPA file, chosen at export (null: liquidation list, or a run
    # exported before the date could be chosen).
    execution_date = models.DateField("date d'exécution demandée", null=True, blank=True)
    paid_on = models.DateField("payée le", null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField("annulée le", null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "campagne de contre-paiement"
        verbose_name_plural = "campagnes de contre-paiement"
        ordering = ["-period_end", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=_values(RunStatus)), name="payment_run_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")), name="payment_run_period_ordered"
            ),
            models.CheckConstraint(
                condition=Q(net_cents=F("gross_cents") - F("fee_cents")),
                name="payment_run_net_is_gross_minus_fee",
            ),
            models.CheckConstraint(
                condition=Q(fee_cents__gte=0, net_cents__gte=0), name="payment_run_amounts"
            ),
            # Four eyes: the validator is never the person who prepared the run.
            models.CheckConstraint(
                condition=Q(validated_by__isnull=True) | ~Q(validated_by=F("prepared_by")),
                name="payment_run_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["DRAFT", "CANCELLED"])
                | Q(validated_by__isnull=False, validated_at__isnull=False),
                name="payment_run_validated_signed",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["EXPORTED", "PAID"])
                | (Q(exported_at__isnull=False) & ~Q(export_sha256="")),
                name="payment_run_exported_dated",
            ),
            # The requested execution date belongs to an exported SEPA file only.
            models.CheckConstraint(
                condition=Q(execution_date__isnull=True)
                | Q(payment_mode="ISSUER", status__in=["EXPORTED", "PAID"]),
                name="payment_run_execution_date_sepa_exported",
            ),
            models.CheckConstraint(
                condition=~Q(status="PAID") | Q(paid_on__isnull=False),
                name="payment_run_paid_dated",
            ),
            # A bank never executes a transfer before the requested execution date.
            models.CheckConstraint(
                condition=Q(paid_on__isnull=True)
                | Q(execution_date__isnull=True)
                | Q(paid_on__gte=F("execution_date")),
                name="payment_run_paid_after_execution_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="CANCELLED") | Q(cancelled_at__isnull=False),
                name="payment_run_cancel_dated",
            ),
            # One open run per payer and programme: two runs at once are impossible.
            models.UniqueConstraint(
                fields=["payer", "programme"],
                condition=Q(status__in=["DRAFT", "VALIDATED", "EXPORTED"]),
                name="payment_run_one_open_per_payer_programme",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_sepa(self) -> bool:
        return self.payment_mode == "ISSUER"


class PaymentLine(models.Model):
    run = models.ForeignKey(PaymentRun, on_delete=models.PROTECT, related_name="lines")
    operator = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="opérateur",
        on_delete=models.PROTECT,
        related_name="payment_lines",
    )
    bank_account = models.ForeignKey(
        "operators.BankAccount",
        verbose_name="coordonnées bancaires",
        on_delete=models.PROTECT,
        related_name="payment_lines",
    )
    pass_count = models.PositiveIntegerField("nombre de pass")
    gross_cents = models.BigIntegerField("montant brut (centimes)")
    fee_cents = models.BigIntegerField("frais (centimes)")
    net_cents = models.BigIntegerField("montant net (centimes)")
    status = models.CharField(
        "état", max_length=8, choices=LineStatus.choices, default=LineStatus.PENDING
    )
    end_to_end_id = models.CharField("référence de bout en bout", max_length=35)
    rejection_reason = models.CharField("motif du rejet", max_length=250, blank=True)
    rejected_at = models.DateTimeField("rejetée le", null=True, blank=True)
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "ligne de contre-paiement"
        verbose_name_plural = "lignes de contre-paiement"
        ordering = ["run", "operator__name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=_values(LineStatus)), name="payment_line_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(net_cents=F("gross_cents") - F("fee_cents")),
                name="payment_line_net_is_gross_minus_fee",
            ),
            models.CheckConstraint(
                condition=Q(gross_cents__gt=0, fee_cents__gte=0, net_cents__gte=0),
                name="payment_line_amounts",
            ),
            models.CheckConstraint(condition=Q(pass_count__gte=1), name="payment_line_has_passes"),
            models.CheckConstraint(
                condition=~Q(status="REJECTED")
                | (~Q(rejection_reason="") & Q(rejected_at__isnull=False)),
                name="payment_line_rejection_reasoned",
            ),
            models.UniqueConstraint(
                fields=["run", "operator"], name="payment_line_one_per_operator"
            ),
            models.UniqueConstraint(
                fields=["run", "end_to_end_id"], name="payment_line_end_to_end_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} — {self.operator}"


class PaymentItem(models.Model):
    # Indexes: the (line, pass) index serves the line look-ups and the partial unique index the
    # pass look-ups; no single-column FK index (a run inserts a million items at once).
    line = models.ForeignKey(
        PaymentLine, on_delete=models.CASCADE, related_name="items", db_index=False
    )
    redemption_line = models.ForeignKey(
        "ledger.RedemptionLine",
        on_delete=models.PROTECT,
        related_name="payment_items",
        db_index=False,
    )
    pass_obj = models.ForeignKey(
        "ledger.Pass",
        on_delete=models.PROTECT,
        related_name="payment_items",
        db_column="pass_id",
        db_index=False,
    )
    amount_cents = models.PositiveIntegerField("montant (centimes)")
    is_rejected = models.BooleanField("rejeté", default=False)

    class Meta:
        verbose_name = "pass contre-payé"
        verbose_name_plural = "pass contre-payés"
        indexes = [models.Index(fields=["line", "pass_obj"])]
        constraints = [
            # A pass is paid at most once: only a rejected item frees it for another run.
            models.UniqueConstraint(
                fields=["pass_obj"],
                condition=Q(is_rejected=False),
                name="payment_item_pass_paid_once",
            ),
            models.CheckConstraint(condition=Q(amount_cents__gt=0), name="payment_item_amount"),
        ]

    def __str__(self) -> str:
        return f"Pass {self.pass_obj_id} — ligne {self.line_id}"
