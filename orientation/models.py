"""Orientation: the prescribers' public listing (opt-in) and the imports of past hand-outs."""

from django.conf import settings
from django.db import models


class PrescriberListing(models.Model):
    """What a prescriber structure chooses to publish on the facilitators' page (no personal
    data: the structure's own public contact only)."""

    organisation = models.OneToOneField(
        "organisations.Organisation",
        verbose_name="structure prescriptrice",
        on_delete=models.CASCADE,
        related_name="prescriber_listing",
        limit_choices_to={"kind": "PRESCRIBER"},
    )
    is_listed = models.BooleanField("figurer sur la page publique", default=False)
    public_address = models.CharField("adresse d'accueil", max_length=250, blank=True)
    public_phone = models.CharField("téléphone d'accueil", max_length=30, blank=True)
    public_hours = models.CharField("horaires d'accueil", max_length=250, blank=True)
    public_note = models.TextField("informations pratiques", max_length=600, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "fiche publique de structure prescriptrice"
        verbose_name_plural = "fiches publiques de structures prescriptrices"

    def __str__(self) -> str:
        return f"Fiche publique de {self.organisation}"


class HandoutImport(models.Model):
    """One CSV import of past hand-outs (all lines or none)."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="handout_imports"
    )
    file_name = models.CharField("fichier", max_length=200)
    line_count = models.PositiveIntegerField("lignes")
    beneficiary_count = models.PositiveIntegerField("bénéficiaires")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField("importé le", auto_now_add=True)

    class Meta:
        verbose_name = "import de remises"
        verbose_name_plural = "imports de remises"
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.line_count} lignes)"


class ImportedHandout(models.Model):
    """A line of an import: the pass, the person and the real date of the hand-out (the ledger
    records the import date; the spreadsheet's date is kept here)."""

    handout_import = models.ForeignKey(
        HandoutImport, on_delete=models.CASCADE, related_name="lines"
    )
    line_number = models.PositiveIntegerField("ligne")
    pass_obj = models.OneToOneField(
        "ledger.Pass", on_delete=models.PROTECT, related_name="imported_handout"
    )
    beneficiary = models.ForeignKey(
        "beneficiaries.Beneficiary", on_delete=models.PROTECT, related_name="imported_handouts"
    )
    handed_out_on = models.DateField("remis le")
    age_band = models.CharField("tranche d'âge", max_length=30, blank=True)
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "remise importée"
        verbose_name_plural = "remises importées"
        ordering = ["handout_import", "line_number"]

    def __str__(self) -> str:
        return f"Ligne {self.line_number}"
