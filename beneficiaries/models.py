"""Beneficiaries: pseudonymous records, the digital diagnostic's result, PIC/QPV fields, consent
to follow-up contact and retention (see ``services.purge_personal_data``).

No name is stored: the person is known by the printed reference. Phone and e-mail exist only
when the person consented to being contacted again (database constraint).
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A printed reference such as « B-7K3M-9QX2 » (40 random bits, Crockford base32)."""
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    return f"B-{raw[:4]}-{raw[4:]}"


class AgeBand(models.TextChoices):
    # The Coop de la médiation numérique's `TrancheAge` values.
    UNDER_12 = "moins_de_douze", "Moins de 12 ans"
    FROM_12 = "douze_dix_huit", "12 à 17 ans"
    FROM_18 = "dix_huit_vingt_quatre", "18 à 24 ans"
    FROM_25 = "vingt_cinq_trente_neuf", "25 à 39 ans"
    FROM_40 = "quarante_cinquante_neuf", "40 à 59 ans"
    FROM_60 = "soixante_soixante_neuf", "60 à 69 ans"
    FROM_70 = "soixante_dix_plus", "70 ans et plus"
    UNKNOWN = "non_communique", "Non communiqué"


class Gender(models.TextChoices):
    # The Coop's `Genre` values.
    MALE = "masculin", "Masculin"
    FEMALE = "feminin", "Féminin"
    UNKNOWN = "non_communique", "Non communiqué"


class SocialStatus(models.TextChoices):
    # The Coop's `StatutSocial` values.
    SCHOOL = "scolarise", "Scolarisé(e)"
    UNEMPLOYED = "sans_emploi", "Sans emploi"
    EMPLOYED = "en_emploi", "En emploi"
    RETIRED = "retraite", "Retraité(e)"
    UNKNOWN = "non_communique", "Non communiqué ou hétérogène"


class DiplomaLevel(models.TextChoices):
    # The Coop has no diploma field: these levels serve the PIC rule (below / up to the bac).
    NONE = "sans_diplome", "Sans diplôme"
    CAP_BEP = "cap_bep", "CAP, BEP ou équivalent"
    BAC = "bac", "Baccalauréat ou équivalent"
    BAC_2 = "bac_2", "Bac + 2"
    BAC_3_PLUS = "bac_3_plus", "Bac + 3 ou plus"
    UNKNOWN = "non_communique", "Non communiqué"


class QpvAnswer(models.TextChoices):
    YES = "oui", "Oui"
    NO = "non", "Non"
    UNKNOWN = "inconnu", "Ne sait pas"


class AutonomyLevel(models.TextChoices):
    BEGINNER = "debutant", "Débutant"
    INTERMEDIATE = "intermediaire", "Intermédiaire"
    AUTONOMOUS = "autonome", "Autonome"


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [value for value, _ in choices.choices]


class Beneficiary(models.Model):
    reference = models.CharField("référence", max_length=11, unique=True, default=new_reference)
    prescriber = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="structure prescriptrice",
        on_delete=models.PROTECT,
        related_name="beneficiaries",
    )
    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name="programme",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="beneficiaries",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    # The record (all answers optional: « non communiqué » by default).
    age_band = models.CharField(
        "tranche d'âge", max_length=25, choices=AgeBand.choices, default=AgeBand.UNKNOWN
    )
    gender = models.CharField(
        "genre", max_length=15, choices=Gender.choices, default=Gender.UNKNOWN
    )
    social_status = models.CharField(
        "situation", max_length=15, choices=SocialStatus.choices, default=SocialStatus.UNKNOWN
    )
    diploma_level = models.CharField(
        "niveau de diplôme",
        max_length=15,
        choices=DiplomaLevel.choices,
        default=DiplomaLevel.UNKNOWN,
    )
    job_seeker = models.BooleanField("demandeur d'emploi", default=False)
    job_seeker_since = models.DateField(
        "demandeur d'emploi depuis (mois)", null=True, blank=True, help_text="Premier jour du mois."
    )
    commune = models.ForeignKey(
        "geo.Commune",
        verbose_name="commune de résidence",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lives_in_qpv = models.CharField(
        "habite un QPV", max_length=7, choices=QpvAnswer.choices, default=QpvAnswer.UNKNOWN
    )
    qpv = models.ForeignKey(
        "geo.Qpv",
        verbose_name="quartier prioritaire",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    contact_consent = models.BooleanField("accepte d'être recontacté(e)", default=False)
    consent_at = models.DateTimeField("consentement recueilli le", null=True, blank=True)
    phone = models.CharField("téléphone", max_length=30, blank=True)
    email = models.EmailField("e-mail", blank=True)
    notes = models.TextField("remarques", blank=True)

    # Derived: PIC eligibility with its basis (see eligibility.py).
    pic_eligible = models.BooleanField("public PIC", default=False)
    pic_basis = models.JSONField("motif PIC", default=dict, blank=True)

    # The digital diagnostic (see diagnostic.py).
    diagnostic_answers = models.JSONField("réponses au diagnostic", default=dict, blank=True)
    diagnostic_score = models.PositiveSmallIntegerField("score", null=True, blank=True)
    autonomy_level = models.CharField(
        "niveau d'autonomie", max_length=13, choices=AutonomyLevel.choices, blank=True
    )
    needs = models.JSONField("besoins (services)", default=list, blank=True)
    recommended_passes = models.PositiveSmallIntegerField("pass recommandés", null=True, blank=True)

    anonymised_at = models.DateTimeField("anonymisé le", null=True, blank=True)

    class Meta:
        verbose_name = "bénéficiaire"
        verbose_name_plural = "bénéficiaires"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_consent=True) | (Q(phone="") & Q(email="")),
                name="beneficiary_contact_needs_consent",
            ),
            models.CheckConstraint(
                condition=Q(qpv__isnull=True) | Q(lives_in_qpv="oui"),
                name="beneficiary_qpv_only_when_yes",
            ),
            models.CheckConstraint(
                condition=Q(job_seeker=True) | Q(job_seeker_since__isnull=True),
                name="beneficiary_job_seeker_since",
            ),
            models.CheckConstraint(
                condition=Q(age_band__in=_values(AgeBand)), name="beneficiary_age_band_valid"
            ),
            models.CheckConstraint(
                condition=Q(diploma_level__in=_values(DiplomaLevel)),
                name="beneficiary_diploma_valid",
            ),
            models.CheckConstraint(
                condition=Q(lives_in_qpv__in=_values(QpvAnswer)), name="beneficiary_qpv_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def need_labels(self) -> list[str]:
        from operators.models import Service

        labels = dict(Service.Theme.choices)
        return [labels.get(n, n) for n in self.needs]
