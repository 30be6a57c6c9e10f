import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Job(models.Model):
    """A piece of long work (import, print run, payment run) that a user can follow.

    The work itself runs in a django-tasks task (see ``jobs.services``); this row is what people
    see: its state, its progress and its outcome. State changes are conditional updates, so that
    two workers sharing the queue can never both run the same job.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", "En attente"
        RUNNING = "RUNNING", "En cours"
        SUCCEEDED = "SUCCEEDED", "Terminée"
        FAILED = "FAILED", "Échec"

    ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING)
    FINISHED_STATUSES = (Status.SUCCEEDED, Status.FAILED)

    # Random UUID (uuid4): the address of a job page cannot be guessed.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(
        "type de tâche",
        max_length=60,
        help_text="Identifiant technique, par exemple « geo.import_communes ».",
    )
    label = models.CharField("libellé", max_length=200)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        help_text="Vide pour une tâche de la plateforme.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="lancée par",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField("état", max_length=9, choices=Status.choices, default=Status.PENDING)
    exclusive_key = models.CharField(
        "clé d'exclusivité",
        max_length=100,
        null=True,
        blank=True,
        help_text="Deux tâches actives ne peuvent pas partager la même clé.",
    )
    progress_current = models.PositiveIntegerField("avancement", default=0)
    progress_total = models.PositiveIntegerField("total", default=0)
    message = models.CharField("message", max_length=500, blank=True)
    result = models.JSONField("résultat", null=True, blank=True)
    error = models.TextField("erreur", blank=True)
    task_result_id = models.CharField("identifiant django-tasks", max_length=64, blank=True)
    created_at = models.DateTimeField("créée le", auto_now_add=True)
    started_at = models.DateTimeField("démarrée le", null=True, blank=True)
    finished_at = models.DateTimeField("terminée le", null=True, blank=True)
    # Heartbeat: every state change and every progress write sets it (see fail_stale_jobs).
    updated_at = models.DateTimeField("dernière activité", auto_now_add=True)

    class Meta:
        verbose_name = "tâche de fond"
        verbose_name_plural = "tâches de fond"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organisation", "-created_at"], name="job_org_created_idx"),
            models.Index(fields=["kind", "-created_at"], name="job_kind_created_idx"),
            models.Index(fields=["status", "updated_at"], name="job_status_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "RUNNING", "SUCCEEDED", "FAILED"]),
                name="job_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__regex=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"),
                name="job_kind_format",
            ),
            models.CheckConstraint(condition=~Q(label=""), name="job_label_not_empty"),
            models.CheckConstraint(
                condition=Q(progress_current__gte=0, progress_total__gte=0),
                name="job_progress_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(progress_total=0) | Q(progress_current__lte=F("progress_total")),
                name="job_progress_current_le_total",
            ),
            # Dates follow the state: a pending job has not started, a running one has not
            # finished, a finished one has an end date (a failed one may never have started).
            models.CheckConstraint(
                condition=Q(status="PENDING", started_at__isnull=True, finished_at__isnull=True)
                | Q(status="RUNNING", started_at__isnull=False, finished_at__isnull=True)
                | Q(status="SUCCEEDED", started_at__isnull=False, finished_at__isnull=False)
                | Q(status="FAILED", finished_at__isnull=False),
                name="job_dates_match_status",
            ),
            # A failed job always says why; the others carry no error.
            models.CheckConstraint(
                condition=(Q(status="FAILED") & ~Q(error="")) | (~Q(status="FAILED") & Q(error="")),
                name="job_error_iff_failed",
            ),
            models.UniqueConstraint(
                fields=["exclusive_key"],
                condition=Q(status__in=["PENDING", "RUNNING"], exclusive_key__isnull=False),
                name="job_one_active_per_exclusive_key",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_active(self) -> bool:
        """Pending or running: the progress bar keeps polling."""
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def progress_percent(self) -> int | None:
        """Whole percentage, rounded down (100 % only when done); None when the total is
        unknown."""
        if self.progress_total <= 0:
            return 100 if self.succeeded else None
        return min(100, self.progress_current * 100 // self.progress_total)

    @property
    def status_badge_class(self) -> str:
        return {
            self.Status.PENDING: "badge",
            self.Status.RUNNING: "badge badge-warning",
            self.Status.SUCCEEDED: "badge badge-success",
            self.Status.FAILED: "badge badge-danger",
        }[self.status]

    @property
    def summary(self) -> str:
        """The French sentence a task may put in its result under « summary »."""
        if isinstance(self.result, dict) and isinstance(self.result.get("summary"), str):
            return self.result["summary"]
        return ""

    @property
    def duration(self):
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def duration_display(self) -> str:
        """« 3 min 20 s », « 1 h 05 min », « moins d'une seconde »."""
        duration = self.duration
        if duration is None:
            return ""
        seconds = int(duration.total_seconds())
        if seconds < 1:
            return "moins d'une seconde"
        hours, rest = divmod(seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        if hours:
            return f"{hours} h {minutes:02d} min"
        if minutes:
            return f"{minutes} min {seconds:02d} s"
        return f"{seconds} s"
