"""Operators' qualification, places and service catalogue (first cut, extended by the operators
issue: documents, questionnaire, bank details, opening hours…)."""

from django.conf import settings
from django.db import models

from geo.models import coordinates_check


class Qualification(models.TextChoices):
    SUBMITTED = "SUBMITTED", "Candidature déposée"
    IN_REVIEW = "IN_REVIEW", "En cours d'examen"
    QUALIFIED = "QUALIFIED", "Qualifié"
    REFUSED = "REFUSED", "Refusé"
    SUSPENDED = "SUSPENDED", "Suspendu"
    DEQUALIFIED = "DEQUALIFIED", "Déqualifié"


QUALIFICATION_VALUES = [value for value, _ in Qualification.choices]


class OperatorProfile(models.Model):
    organisation = models.OneToOneField(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="operator_profile",
        limit_choices_to={"kind": "OPERATOR"},
    )
    qualification = models.CharField(
        "qualification",
        max_length=11,
        choices=Qualification.choices,
        default=Qualification.SUBMITTED,
    )
    reference_number = models.CharField("n° de référencement (émetteur)", max_length=40, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("décision le", null=True, blank=True)
    decision_reason = models.TextField("motif", blank=True)
    legal_representative_name = models.CharField(
        "représentant légal (nom)", max_length=200, blank=True
    )
    legal_representative_role = models.CharField(
        "représentant légal (qualité)", max_length=120, blank=True
    )
    questionnaire = models.JSONField("questionnaire de qualification", default=dict, blank=True)
    submitted_at = models.DateTimeField("candidature déposée le", null=True, blank=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "profil d'opérateur"
        verbose_name_plural = "profils d'opérateurs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qualification__in=QUALIFICATION_VALUES),
                name="operator_qualification_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(qualification__in=["SUBMITTED", "IN_REVIEW"])
                | models.Q(decided_at__isnull=False),
                name="operator_decision_dated",
            ),
            # A refusal or a dequalification names its author and gives its reason. (Suspension
            # is dated by the constraint above; its author and reason are enforced by
            # operators.services.decide, since older ledger tests suspend profiles directly.)
            models.CheckConstraint(
                condition=~models.Q(qualification__in=["REFUSED", "DEQUALIFIED"])
                | (models.Q(decided_by__isnull=False) & ~models.Q(decision_reason="")),
                name="operator_negative_decision_reasoned",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.get_qualification_display()})"

    @property
    def is_qualified(self) -> bool:
        return self.qualification == Qualification.QUALIFIED


def operator_document_path(instance: "OperatorDocument", filename: str) -> str:
    # The stored name never reuses the uploaded one (only its checked extension).
    import uuid

    extension = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}.get(
        instance.content_type, "bin"
    )
    return f"operators/{instance.operator_id}/documents/{uuid.uuid4().hex}.{extension}"


class BankAccount(models.Model):
    """An operator's bank details. Append-only: a change adds a row, the latest one is current."""

    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="bank_accounts"
    )
    holder = models.CharField("titulaire du compte", max_length=200)
    iban = models.CharField("IBAN", max_length=34)
    bic = models.CharField("BIC", max_length=11)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "coordonnées bancaires"
        verbose_name_plural = "coordonnées bancaires"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(iban__regex=r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$"),
                name="bank_account_iban_format",
            ),
            models.CheckConstraint(
                condition=models.Q(bic__regex=r"^[A-Z0-9]{8}([A-Z0-9]{3})?$"),
                name="bank_account_bic_format",
            ),
            models.CheckConstraint(condition=~models.Q(holder=""), name="bank_account_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.holder} — IBAN …{self.iban[-4:]}"

    @property
    def masked_iban(self) -> str:
        return f"{self.iban[:4]} •••• •••• {self.iban[-4:]}"

    @property
    def formatted_iban(self) -> str:
        return " ".join(self.iban[i : i + 4] for i in range(0, len(self.iban), 4))


class OperatorDocument(models.Model):
    """A supporting document (RIB, statutes, act of the régie), stored outside the web root."""

    class Kind(models.TextChoices):
        RIB = "RIB", "Relevé d'identité bancaire (RIB)"
        STATUTES = "STATUTES", "Statuts"
        REGIE_ACT = "REGIE_ACT", "Acte constitutif de la régie (personnes publiques)"

    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="operator_documents"
    )
    kind = models.CharField("type de pièce", max_length=10, choices=Kind.choices)
    file = models.FileField("fichier", upload_to=operator_document_path, max_length=200)
    original_name = models.CharField("nom d'origine", max_length=200)
    content_type = models.CharField("type de contenu", max_length=40)
    size = models.PositiveIntegerField("taille (octets)")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("déposé le", auto_now_add=True)

    class Meta:
        verbose_name = "pièce justificative"
        verbose_name_plural = "pièces justificatives"
        ordering = ["kind", "-uploaded_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["RIB", "STATUTES", "REGIE_ACT"]),
                name="operator_document_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(content_type__in=["application/pdf", "image/png", "image/jpeg"]),
                name="operator_document_content_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(size__gte=1, size__lte=5 * 1024 * 1024),
                name="operator_document_size_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.original_name}"


class Place(models.Model):
    """A lieu de médiation numérique run by an operator, where passes are accepted."""

    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="places"
    )
    name = models.CharField("nom", max_length=200)
    address = models.CharField("adresse", max_length=250)
    postal_code = models.CharField("code postal", max_length=5)
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="places")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    opening_hours = models.CharField("horaires (format OSM)", max_length=250, blank=True)
    accepts_passes = models.BooleanField("accepte les pass", default=True)
    # Fields of the national « Lieux de médiation numérique » schema v1.0.2 (lists are stored as
    # JSON lists of the schema's values and exported joined by « | »).
    address_complement = models.CharField("complément d'adresse", max_length=250, blank=True)
    website = models.URLField("site web", blank=True)
    typology = models.JSONField("typologie", default=list, blank=True)
    summary = models.CharField("présentation (résumé)", max_length=280, blank=True)
    description = models.TextField("présentation (détail)", blank=True)
    services = models.JSONField("services proposés (schéma national)", default=list, blank=True)
    publics = models.JSONField("publics spécifiquement adressés", default=list, blank=True)
    specific_support = models.JSONField("prise en charge spécifique", default=list, blank=True)
    national_programmes = models.JSONField(
        "dispositifs et programmes nationaux", default=list, blank=True
    )
    labels = models.JSONField("formations et labels", default=list, blank=True)
    access_modalities = models.JSONField("modalités d'accès", default=list, blank=True)
    support_modalities = models.JSONField("modalités d'accompagnement", default=list, blank=True)
    accessibility_url = models.URLField("fiche Acceslibre", blank=True)
    appointment_url = models.URLField("prise de rendez-vous", blank=True)
    qualification = models.CharField(
        "qualification du lieu",
        max_length=11,
        choices=Qualification.choices,
        default=Qualification.SUBMITTED,
    )
    updated_at = models.DateTimeField("mis à jour le", auto_now=True)
    is_active = models.BooleanField("actif", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "lieu"
        verbose_name_plural = "lieux"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(qualification__in=QUALIFICATION_VALUES),
                name="place_qualification_valid",
            ),
            coordinates_check("place_coordinates_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} — {self.commune.name}"


class Service(models.Model):
    """A service d'accompagnement numérique (SAN) in an operator's catalogue."""

    class Theme(models.TextChoices):
        # The 9 services of the national « Lieux de médiation numérique » schema.
        AIDE_DEMARCHES = (
            "aide-aux-demarches-administratives",
            "Aide aux démarches administratives",
        )
        MAITRISE_OUTILS = (
            "maitrise-des-outils-numeriques",
            "Maîtrise des outils numériques du quotidien",
        )
        INSERTION_PRO = (
            "insertion-professionnelle-via-le-numerique",
            "Insertion professionnelle via le numérique",
        )
        UTILISATION_SECURISEE = (
            "utilisation-securisee-du-numerique",
            "Utilisation sécurisée du numérique",
        )
        PARENTALITE = (
            "parentalite-et-education-avec-le-numerique",
            "Parentalité et éducation avec le numérique",
        )
        LOISIRS = (
            "loisirs-et-creations-numeriques",
            "Loisirs et créations numériques",
        )
        CULTURE = (
            "comprehension-et-usage-des-sites-d-information-et-de-culture-numerique",
            "Compréhension et usage des sites d'information et de culture numérique",
        )
        MATERIEL = (
            "acces-a-du-materiel-informatique",
            "Accès à du matériel informatique",
        )
        CONNEXION = (
            "acces-a-une-connexion-internet",
            "Accès à une connexion internet",
        )

    operator = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="services"
    )
    title = models.CharField("intitulé", max_length=200)
    theme = models.CharField("thème", max_length=80, choices=Theme.choices)
    is_collective = models.BooleanField("collectif", default=False)
    duration_minutes = models.PositiveIntegerField("durée (minutes)", default=60)
    price_in_passes = models.PositiveSmallIntegerField("prix en pass", default=1)
    description = models.TextField("description", blank=True)
    is_active = models.BooleanField("actif", default=True)

    class Meta:
        verbose_name = "service"
        verbose_name_plural = "services"
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_in_passes__gte=1, price_in_passes__lte=20),
                name="service_price_between_1_and_20_passes",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=1), name="service_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title
