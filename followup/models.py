"""Follow-up of the territories once selected (issue 6, part 6; seed: « Les communes retenues
devront… »): the référent (kept on ``programmes.Territory.referents``), the hub's trainings of
prescribers and operators with their attendance, the follow-up committees organised by the hub,
the retour d'expérience of each territory, and the funder's experience-sharing meetings.

Every write goes through ``followup.services``; reads through ``followup.queries``."""

import uuid

from django.conf import settings
from django.db import models

MINUTES_MAX_BYTES = 5 * 1024 * 1024


class Audience(models.TextChoices):
    PRESCRIBERS = "PRESCRIBERS", "Prescripteurs"
    OPERATORS = "OPERATORS", "Opérateurs"


def minutes_path(instance: models.Model, filename: str) -> str:
    # Never the uploaded name: a random one, with the only extension we accept.
    return f"followup/{instance._meta.model_name}/{uuid.uuid4().hex}.pdf"


class Minutes(models.Model):
    """Minutes (compte rendu): sanitised rich text and/or a checked PDF stored outside the web
    root and served as an attachment through a permission-checked view."""

    minutes_html = models.TextField(
        "compte rendu", blank=True, help_text="Texte mis en forme ; nettoyé à l'enregistrement."
    )
    minutes_file = models.FileField(
        "compte rendu (PDF)", upload_to=minutes_path, max_length=200, blank=True
    )
    minutes_file_name = models.CharField("nom d'origine du PDF", max_length=200, blank=True)
    minutes_file_size = models.PositiveIntegerField("taille du PDF (octets)", null=True, blank=True)

    class Meta:
        abstract = True

    @classmethod
    def minutes_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(
                condition=(
                    models.Q(minutes_file="")
                    & models.Q(minutes_file_size__isnull=True)
                    & models.Q(minutes_file_name="")
                )
                | (
                    ~models.Q(minutes_file="")
                    & models.Q(minutes_file_size__isnull=False)
                    & models.Q(minutes_file_size__gte=1, minutes_file_size__lte=MINUTES_MAX_BYTES)
                ),
                name=f"{prefix}_minutes_file_checked",
            )
        ]

    @property
    def has_minutes(self) -> bool:
        return bool(self.minutes_html or self.minutes_file)


class TrainingSession(models.Model):
    """A training given by the hub to the prescribers or to the operators of some territories."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name="programme",
        on_delete=models.PROTECT,
        related_name="training_sessions",
    )
    audience = models.CharField("public", max_length=11, choices=Audience.choices)
    title = models.CharField("intitulé", max_length=200)
    starts_at = models.DateTimeField("date et heure", help_text="Heure de Paris.")
    duration_minutes = models.PositiveSmallIntegerField("durée (minutes)")
    is_remote = models.BooleanField("à distance", default=False)
    place = models.CharField("lieu", max_length=250, blank=True)
    trainer = models.CharField("formateur ou formatrice", max_length=200)
    description = models.TextField("programme de la session", blank=True)
    territories = models.ManyToManyField(
        "programmes.Territory", verbose_name="territoires concernés", related_name="trainings"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "session de formation"
        verbose_name_plural = "sessions de formation"
        ordering = ["-starts_at", "-pk"]
        indexes = [models.Index(fields=["programme", "-starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(audience__in=["PRESCRIBERS", "OPERATORS"]),
                name="training_audience_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gte=15, duration_minutes__lte=24 * 60),
                name="training_duration_range",
            ),
            models.CheckConstraint(
                condition=models.Q(is_remote=True) | ~models.Q(place=""),
                name="training_place_or_remote",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def where(self) -> str:
        return "À distance" if self.is_remote else self.place


class Attendance(models.Model):
    """One organisation, or one person named in free text (no account), registered and/or
    present. ``person_name`` may also name who came for an organisation."""

    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="structure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    person_name = models.CharField("personne (sans compte)", max_length=200, blank=True)
    registered = models.BooleanField("inscrite", default=True)
    attended = models.BooleanField("présente", default=False)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        if self.organisation_id and self.person_name:
            return f"{self.person_name} ({self.organisation})"
        return self.person_name or str(self.organisation)


def _attendance_constraints(prefix: str, parent: str) -> list[models.BaseConstraint]:
    return [
        models.CheckConstraint(
            condition=models.Q(organisation__isnull=False) | ~models.Q(person_name=""),
            name=f"{prefix}_attendee_named",
        ),
        models.CheckConstraint(
            condition=models.Q(registered=True) | models.Q(attended=True),
            name=f"{prefix}_registered_or_attended",
        ),
        models.UniqueConstraint(
            fields=[parent, "organisation", "person_name"],
            condition=models.Q(organisation__isnull=False),
            name=f"{prefix}_unique_organisation",
        ),
        models.UniqueConstraint(
            fields=[parent, "person_name"],
            condition=models.Q(organisation__isnull=True),
            name=f"{prefix}_unique_person",
        ),
    ]


class TrainingAttendance(Attendance):
    session = models.ForeignKey(
        TrainingSession, on_delete=models.CASCADE, related_name="attendances"
    )

    class Meta:
        verbose_name = "participation à une formation"
        verbose_name_plural = "participations aux formations"
        ordering = ["organisation__name", "person_name"]
        constraints = _attendance_constraints("training_attendance", "session")

    def __str__(self) -> str:
        return self.label


class FollowupCommittee(Minutes):
    """A comité de suivi of one territory, organised by the programme's hub."""

    territory = models.ForeignKey(
        "programmes.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="followup_committees",
    )
    held_at = models.DateTimeField("date et heure", help_text="Heure de Paris.")
    is_remote = models.BooleanField("à distance", default=False)
    place = models.CharField("lieu", max_length=250, blank=True)
    agenda = models.TextField("ordre du jour")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)

    class Meta:
        verbose_name = "comité de suivi"
        verbose_name_plural = "comités de suivi"
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["territory", "-held_at"])]
        constraints = [
            *Minutes.minutes_constraints("committee"),
            models.CheckConstraint(
                condition=models.Q(is_remote=True) | ~models.Q(place=""),
                name="committee_place_or_remote",
            ),
            models.CheckConstraint(condition=~models.Q(agenda=""), name="committee_agenda_set"),
        ]

    def __str__(self) -> str:
        return f"Comité de suivi du {self.held_at:%d/%m/%Y}"

    @property
    def where(self) -> str:
        return "À distance" if self.is_remote else self.place


class CommitteeAttendance(Attendance):
    committee = models.ForeignKey(
        FollowupCommittee, on_delete=models.CASCADE, related_name="attendances"
    )

    class Meta:
        verbose_name = "présence à un comité de suivi"
        verbose_name_plural = "présences aux comités de suivi"
        ordering = ["organisation__name", "person_name"]
        constraints = _attendance_constraints("committee_attendance", "committee")

    def __str__(self) -> str:
        return self.label


class FeedbackStatus(models.TextChoices):
    DRAFT = "DRAFT", "Brouillon"
    SUBMITTED = "SUBMITTED", "Transmis"


class ExperienceFeedback(models.Model):
    """The retour d'expérience a territory owes its funder (seed: « Fournir un retour
    d'expérience sur le déploiement »). One per territory and programme; frozen once submitted."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.PROTECT, related_name="experience_feedbacks"
    )
    territory = models.ForeignKey(
        "programmes.Territory",
        verbose_name="territoire",
        on_delete=models.PROTECT,
        related_name="experience_feedbacks",
    )
    status = models.CharField(
        "état", max_length=9, choices=FeedbackStatus.choices, default=FeedbackStatus.DRAFT
    )
    # Volumes distributed.
    booklets_distributed = models.PositiveIntegerField(
        "carnets confiés aux prescripteurs", null=True, blank=True
    )
    passes_distributed = models.PositiveIntegerField(
        "pass remis aux publics", null=True, blank=True
    )
    # Publics reached.
    people_reached = models.PositiveIntegerField("personnes accompagnées", null=True, blank=True)
    pic_people = models.PositiveIntegerField("dont publics PIC", null=True, blank=True)
    qpv_people = models.PositiveIntegerField(
        "dont habitants des quartiers prioritaires (QPV)", null=True, blank=True
    )
    publics_comment = models.TextField("publics atteints : commentaire", blank=True)
    # Actors mobilised.
    prescribers_mobilised = models.PositiveIntegerField(
        "structures prescriptrices mobilisées", null=True, blank=True
    )
    operators_mobilised = models.PositiveIntegerField("opérateurs mobilisés", null=True, blank=True)
    actors_comment = models.TextField("réseau d'acteurs : commentaire", blank=True)
    # Lessons.
    what_worked = models.TextField("ce qui a fonctionné", blank=True)
    difficulties = models.TextField("difficultés rencontrées", blank=True)
    suggestions = models.TextField("suggestions", blank=True)
    would_continue = models.BooleanField("souhaite poursuivre le dispositif", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)
    updated_at = models.DateTimeField("modifié le", auto_now=True)
    submitted_at = models.DateTimeField("transmis le", null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="transmis par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "retour d'expérience"
        verbose_name_plural = "retours d'expérience"
        ordering = ["territory__commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "territory"], name="feedback_one_per_territory"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["DRAFT", "SUBMITTED"]), name="feedback_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="DRAFT", submitted_at__isnull=True)
                | models.Q(
                    status="SUBMITTED",
                    submitted_at__isnull=False,
                    submitted_by__isnull=False,
                    would_continue__isnull=False,
                ),
                name="feedback_submission_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(pic_people__isnull=True)
                | models.Q(people_reached__isnull=True)
                | models.Q(pic_people__lte=models.F("people_reached")),
                name="feedback_pic_within_people",
            ),
            models.CheckConstraint(
                condition=models.Q(qpv_people__isnull=True)
                | models.Q(people_reached__isnull=True)
                | models.Q(qpv_people__lte=models.F("people_reached")),
                name="feedback_qpv_within_people",
            ),
        ]

    class Frozen(Exception):
        pass

    def __str__(self) -> str:
        return f"Retour d'expérience — {self.territory.commune.name}"

    def save(self, *args, **kwargs) -> None:
        # Belt and braces behind the service: a submitted feedback is never saved again.
        if self._stored_as_submitted():
            raise self.Frozen("Le retour d'expérience a été transmis : il ne se modifie plus.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_as_submitted():
            raise self.Frozen("Le retour d'expérience a été transmis : il ne se supprime pas.")
        return super().delete(*args, **kwargs)

    @property
    def is_submitted(self) -> bool:
        return self.status == FeedbackStatus.SUBMITTED

    def _stored_as_submitted(self) -> bool:
        return (
            self.pk is not None
            and type(self).objects.filter(pk=self.pk, status=FeedbackStatus.SUBMITTED).exists()
        )


class SharingMeeting(Minutes):
    """A réunion de partage d'expérience organised by the funder for the territories."""

    programme = models.ForeignKey(
        "programmes.Programme",
        verbose_name="programme",
        on_delete=models.PROTECT,
        related_name="sharing_meetings",
    )
    held_at = models.DateTimeField("date et heure", help_text="Heure de Paris.")
    is_remote = models.BooleanField("à distance", default=False)
    place = models.CharField("lieu", max_length=250, blank=True)
    topic = models.CharField("thème", max_length=250)
    agenda = models.TextField("ordre du jour", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "réunion de partage d'expérience"
        verbose_name_plural = "réunions de partage d'expérience"
        ordering = ["-held_at", "-pk"]
        indexes = [models.Index(fields=["programme", "-held_at"])]
        constraints = [
            *Minutes.minutes_constraints("sharing"),
            models.CheckConstraint(
                condition=models.Q(is_remote=True) | ~models.Q(place=""),
                name="sharing_place_or_remote",
            ),
        ]

    def __str__(self) -> str:
        return self.topic

    @property
    def where(self) -> str:
        return "À distance" if self.is_remote else self.place


class SharingMeetingTerritory(models.Model):
    """A territory invited to a sharing meeting, and whether it came."""

    meeting = models.ForeignKey(SharingMeeting, on_delete=models.CASCADE, related_name="invitees")
    territory = models.ForeignKey(
        "programmes.Territory", on_delete=models.PROTECT, related_name="sharing_invitations"
    )
    present = models.BooleanField("présent", default=False)

    class Meta:
        verbose_name = "territoire invité"
        verbose_name_plural = "territoires invités"
        ordering = ["territory__commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "territory"], name="sharing_territory_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.territory.commune.name} — {self.meeting}"
