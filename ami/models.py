"""The call for expressions of interest (AMI): the call, its criteria and required documents, the
communes' applications with their PDF documents, and the hub's opinion.

The committee, the scores, the proposal and the Bureau vote live in the ``selection`` app."""

import uuid

from django.conf import settings
from django.db import models


class Call(models.Model):
    """An « appel à manifestation d'intérêt » of a funder, within one of its programmes."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name="programme",
        on_delete=models.PROTECT,
        related_name="calls",
    )
    hub = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="hub territorial",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hub_calls",
    )
    title = models.CharField("titre", max_length=250)
    body = models.TextField(
        "texte de l'appel", blank=True, help_text="Texte mis en forme ; nettoyé à l'enregistrement."
    )
    opens_at = models.DateTimeField("ouverture des candidatures")
    deadline = models.DateTimeField(
        "date limite de dépôt", help_text="Heure de Paris. Les dépôts à cette heure sont refusés."
    )
    contact_email = models.EmailField("adresse de contact", blank=True)
    eligible_communes = models.ManyToManyField(
        "geo.Commune", verbose_name="communes éligibles", related_name="+", blank=True
    )
    excluded_communes = models.ManyToManyField(
        "geo.Commune",
        verbose_name="communes exclues",
        related_name="+",
        blank=True,
        help_text="Communes déjà territoires d'expérimentation du programme.",
    )
    max_document_bytes = models.PositiveIntegerField(
        "taille maximale d'une pièce (octets)", default=10 * 1024 * 1024
    )
    score_max = models.PositiveSmallIntegerField("note maximale par critère", default=5)
    is_published = models.BooleanField("publié", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "appel à manifestation d'intérêt"
        verbose_name_plural = "appels à manifestation d'intérêt"
        ordering = ["-deadline", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(deadline__gt=models.F("opens_at")),
                name="call_deadline_after_opening",
            ),
            models.CheckConstraint(
                condition=models.Q(score_max__gte=1, score_max__lte=100),
                name="call_score_max_range",
            ),
            models.CheckConstraint(
                condition=models.Q(max_document_bytes__gte=1024),
                name="call_max_document_bytes_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RequiredDocument(models.Model):
    """A document every application must carry (the application form, the mayor's letter…)."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="required_documents")
    position = models.PositiveSmallIntegerField("ordre", default=0)
    label = models.CharField("pièce", max_length=200)
    help_text = models.CharField("précision", max_length=300, blank=True)
    is_mandatory = models.BooleanField("obligatoire", default=True)

    class Meta:
        verbose_name = "pièce demandée"
        verbose_name_plural = "pièces demandées"
        ordering = ["call", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "label"], name="required_document_unique"),
        ]

    def __str__(self) -> str:
        return self.label


class Criterion(models.Model):
    """An evaluation criterion of a call, scored by each committee member."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField("ordre", default=0)
    label = models.CharField("critère", max_length=300)
    description = models.TextField("description", blank=True)
    weight = models.PositiveSmallIntegerField("coefficient", default=1)

    class Meta:
        verbose_name = "critère d'évaluation"
        verbose_name_plural = "critères d'évaluation"
        ordering = ["call", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "label"], name="criterion_unique_label"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=1, weight__lte=10), name="criterion_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class ApplicationStatus(models.TextChoices):
    DRAFT = "DRAFT", "Brouillon"
    SUBMITTED = "SUBMITTED", "Déposée"
    SELECTED = "SELECTED", "Retenue"
    NOT_SELECTED = "NOT_SELECTED", "Non retenue"


class Application(models.Model):
    """A commune's application to a call. One per commune and per call."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications")
    municipality = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="collectivité",
        on_delete=models.PROTECT,
        related_name="applications",
    )
    commune = models.ForeignKey(
        "geo.Commune", verbose_name="commune", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "état", max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT
    )
    # Sections, one per evaluation criterion of the seed's call.
    inclusion_issues = models.TextField(
        "problématiques d'inclusion numérique de la commune", blank=True
    )
    network_diagnosis = models.TextField(
        "diagnostic de la structuration des réseaux d'acteurs locaux", blank=True
    )
    pass_fit = models.TextField("adéquation des pass numériques à ces problématiques", blank=True)
    pic_strategy = models.TextField(
        "moyens pour qu'au moins la moitié des pass atteigne les publics PIC", blank=True
    )
    qpv_strategy = models.TextField(
        "publics des quartiers prioritaires (QPV), lieux de prescription en QPV", blank=True
    )
    cnfs_requested = models.BooleanField(
        "Conseiller numérique France Services demandé", null=True, blank=True
    )
    cnfs_mobilised = models.BooleanField(
        "Conseiller numérique mobilisé sur le dispositif", null=True, blank=True
    )
    referent_name = models.CharField("référent : nom", max_length=200, blank=True)
    referent_role = models.CharField("référent : fonction", max_length=200, blank=True)
    referent_email = models.EmailField("référent : e-mail", blank=True)
    referent_phone = models.CharField("référent : téléphone", max_length=30, blank=True)
    planned_prescribers = models.TextField("prescripteurs envisagés", blank=True)
    planned_operators = models.TextField("opérateurs envisagés", blank=True)
    booklets_requested = models.PositiveIntegerField(
        "nombre de carnets souhaités", null=True, blank=True
    )
    receipt_token = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    submitted_at = models.DateTimeField("déposée le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("décision le", null=True, blank=True)

    class Meta:
        verbose_name = "candidature"
        verbose_name_plural = "candidatures"
        ordering = ["call", "commune__name"]
        constraints = [
            models.UniqueConstraint(fields=["call", "commune"], name="application_one_per_commune"),
            models.UniqueConstraint(
                fields=["call", "municipality"], name="application_one_per_municipality"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["DRAFT", "SUBMITTED", "SELECTED", "NOT_SELECTED"]),
                name="application_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status="DRAFT")
                | models.Q(submitted_at__isnull=False, submitted_by__isnull=False),
                name="application_submitted_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["DRAFT", "SUBMITTED"])
                | models.Q(decided_at__isnull=False),
                name="application_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"Candidature de {self.commune.name} — {self.call}"


def application_document_path(instance: "ApplicationDocument", filename: str) -> str:
    # The stored name is random: the original name is kept in a column, never used on disk.
    return f"ami/{instance.application.call_id}/{instance.application_id}/{uuid.uuid4().hex}.pdf"


class ApplicationDocument(models.Model):
    """A PDF uploaded for a required document. Stored outside the web root, served as an
    attachment to those entitled only."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="documents")
    required_document = models.ForeignKey(
        RequiredDocument, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField("fichier", upload_to=application_document_path, max_length=200)
    original_name = models.CharField("nom d'origine", max_length=200)
    size = models.PositiveIntegerField("taille (octets)")
    sha256 = models.CharField("empreinte SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("déposée le", auto_now_add=True)

    class Meta:
        verbose_name = "pièce jointe"
        verbose_name_plural = "pièces jointes"
        ordering = ["application", "required_document__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "required_document"], name="application_document_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(size__gt=0), name="application_document_size"
            ),
        ]

    def __str__(self) -> str:
        return self.original_name


class HubOpinion(models.Model):
    """The hub's opinion on an application. The committee sees it; the commune does not,
    until the decision."""

    class Verdict(models.TextChoices):
        FAVOURABLE = "FAVOURABLE", "Favorable"
        RESERVED = "RESERVED", "Réservé"
        UNFAVOURABLE = "UNFAVOURABLE", "Défavorable"

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="hub_opinion"
    )
    verdict = models.CharField("avis", max_length=12, choices=Verdict.choices)
    text = models.TextField("motivation")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("rendu le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "avis du hub"
        verbose_name_plural = "avis du hub"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict__in=["FAVOURABLE", "RESERVED", "UNFAVOURABLE"]),
                name="hub_opinion_verdict_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_verdict_display()} — {self.application}"
