"""The committee of a call (« comité d'examen des candidatures »), its members' declarations of
interest and scores, the chair's proposal, and the Bureau's vote that selects the territories.

Seed, section 4: the committee is the President of the funder (who chairs it and may delegate the
chair), the vice-president in charge of digital matters, the president of the commission, and one
representative of each political group. The hub takes part « en tant que personnalité
qualifiée »: it is listed in the seed apart from the committee's composition and gives its own
opinion on each application, so here it sits on the committee without voting (it sees the scores,
it does not score).
"""

from django.conf import settings
from django.db import models

DEFAULT_SCORE_CEILING = 100  # the ceiling of Call.score_max (ami's call_score_max_range)


class MemberFunction(models.TextChoices):
    PRESIDENT = "PRESIDENT", "Président(e) du commanditaire"
    VICE_PRESIDENT = "VICE_PRESIDENT", "Vice-président(e) délégué(e)"
    COMMISSION_PRESIDENT = "COMMISSION_PRESIDENT", "Président(e) de la commission"
    GROUP_REPRESENTATIVE = "GROUP_REPRESENTATIVE", "Représentant(e) d'un groupe politique"
    QUALIFIED_PERSON = "QUALIFIED_PERSON", "Personnalité qualifiée (hub)"


UNIQUE_FUNCTIONS = (
    MemberFunction.PRESIDENT,
    MemberFunction.VICE_PRESIDENT,
    MemberFunction.COMMISSION_PRESIDENT,
)


class CommitteeMember(models.Model):
    """A person sitting on a call's committee, with the function the seed gives them."""

    call = models.ForeignKey("ami.Call", on_delete=models.PROTECT, related_name="committee")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="personne",
        on_delete=models.PROTECT,
        related_name="committee_seats",
    )
    function = models.CharField("fonction", max_length=20, choices=MemberFunction.choices)
    title = models.CharField(
        "intitulé de la fonction",
        max_length=250,
        blank=True,
        help_text="Par exemple « Vice-président délégué à la Communication et à l'Innovation "
        "numérique ».",
    )
    political_group = models.CharField("groupe politique", max_length=200, blank=True)
    is_voting = models.BooleanField("note les candidatures", default=True)
    is_chair = models.BooleanField("préside le comité", default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField("ajouté le", auto_now_add=True)

    class Meta:
        verbose_name = "membre du comité d'examen"
        verbose_name_plural = "membres du comité d'examen"
        ordering = ["call", "function", "user__last_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["call", "user"], name="committee_member_unique"),
            models.UniqueConstraint(
                fields=["call"], condition=models.Q(is_chair=True), name="committee_one_chair"
            ),
            models.UniqueConstraint(
                fields=["call", "function"],
                condition=models.Q(
                    function__in=["PRESIDENT", "VICE_PRESIDENT", "COMMISSION_PRESIDENT"]
                ),
                name="committee_unique_office",
            ),
            models.UniqueConstraint(
                fields=["call", "political_group"],
                condition=models.Q(function="GROUP_REPRESENTATIVE"),
                name="committee_one_representative_per_group",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    function__in=[
                        "PRESIDENT",
                        "VICE_PRESIDENT",
                        "COMMISSION_PRESIDENT",
                        "GROUP_REPRESENTATIVE",
                        "QUALIFIED_PERSON",
                    ]
                ),
                name="committee_function_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(function="GROUP_REPRESENTATIVE")
                | ~models.Q(political_group=""),
                name="committee_group_named",
            ),
            models.CheckConstraint(
                condition=~models.Q(function="QUALIFIED_PERSON") | models.Q(is_voting=False),
                name="committee_qualified_person_not_voting",
            ),
            models.CheckConstraint(
                condition=models.Q(is_chair=False) | models.Q(is_voting=True),
                name="committee_chair_votes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.email} — {self.function_label}"

    @property
    def function_label(self) -> str:
        if self.function == MemberFunction.GROUP_REPRESENTATIVE and self.political_group:
            return f"Représentant(e) du groupe « {self.political_group} »"
        return self.title or self.get_function_display()

    @property
    def display_name(self) -> str:
        return self.user.get_full_name() or self.user.email


class ChairDelegation(models.Model):
    """The President delegating the chair of the committee to another member (seed, section 4:
    « présidé par le Président … qui peut déléguer sa présidence »). Kept as history."""

    call = models.ForeignKey("ami.Call", on_delete=models.PROTECT, related_name="+")
    from_member = models.ForeignKey(
        CommitteeMember, verbose_name="délégant", on_delete=models.PROTECT, related_name="+"
    )
    to_member = models.ForeignKey(
        CommitteeMember, verbose_name="délégataire", on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField("motif", max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("délégation le", auto_now_add=True)

    class Meta:
        verbose_name = "délégation de présidence"
        verbose_name_plural = "délégations de présidence"
        ordering = ["call", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(from_member=models.F("to_member")),
                name="chair_delegation_to_someone_else",
            ),
        ]

    def __str__(self) -> str:
        return f"Présidence déléguée à {self.to_member.display_name}"


class ConflictDeclaration(models.Model):
    """A member's declaration of interest for one application (made before scoring it)."""

    member = models.ForeignKey(
        CommitteeMember, on_delete=models.PROTECT, related_name="declarations"
    )
    application = models.ForeignKey(
        "ami.Application", on_delete=models.PROTECT, related_name="conflict_declarations"
    )
    has_conflict = models.BooleanField("conflit d'intérêts")
    note = models.CharField("précision", max_length=500, blank=True)
    declared_at = models.DateTimeField("déclarée le", auto_now=True)

    class Meta:
        verbose_name = "déclaration d'intérêts"
        verbose_name_plural = "déclarations d'intérêts"
        constraints = [
            models.UniqueConstraint(
                fields=["member", "application"], name="conflict_declaration_unique"
            ),
        ]

    def __str__(self) -> str:
        verdict = "conflit d'intérêts" if self.has_conflict else "pas de conflit"
        return f"{self.member.display_name} — {verdict}"


class Score(models.Model):
    """A member's score of one application on one criterion, 0..scale_max, with a comment.

    ``scale_max`` is the call's scale when the score was given, so the database itself holds the
    range (0 ≤ value ≤ scale_max ≤ 100)."""

    member = models.ForeignKey(CommitteeMember, on_delete=models.PROTECT, related_name="scores")
    application = models.ForeignKey(
        "ami.Application", on_delete=models.PROTECT, related_name="scores"
    )
    criterion = models.ForeignKey("ami.Criterion", on_delete=models.PROTECT, related_name="scores")
    value = models.PositiveSmallIntegerField("note")
    scale_max = models.PositiveSmallIntegerField("note maximale")
    comment = models.TextField("commentaire", blank=True)
    created_at = models.DateTimeField("notée le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)

    class Meta:
        verbose_name = "note"
        verbose_name_plural = "notes"
        ordering = ["application", "criterion__position", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "application", "criterion"], name="score_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0, value__lte=models.F("scale_max")),
                name="score_value_in_scale",
            ),
            models.CheckConstraint(
                condition=models.Q(scale_max__gte=1, scale_max__lte=DEFAULT_SCORE_CEILING),
                name="score_scale_max_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.value}/{self.scale_max}"


class Proposal(models.Model):
    """The committee's proposal list for a call, built and validated by the chair."""

    call = models.OneToOneField("ami.Call", on_delete=models.PROTECT, related_name="proposal")
    comment = models.TextField("commentaire du comité", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    validated_at = models.DateTimeField("validée le", null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "proposition du comité"
        verbose_name_plural = "propositions du comité"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(validated_at__isnull=True, validated_by__isnull=True)
                | models.Q(validated_at__isnull=False, validated_by__isnull=False),
                name="proposal_validation_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Proposition du comité — {self.call}"

    @property
    def is_validated(self) -> bool:
        return self.validated_at is not None


class ProposalItem(models.Model):
    """An application on the proposal list, with the carnets planned for the commune."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey(
        "ami.Application", on_delete=models.PROTECT, related_name="proposal_items"
    )
    booklets_planned = models.PositiveIntegerField("carnets prévus")

    class Meta:
        verbose_name = "candidature proposée"
        verbose_name_plural = "candidatures proposées"
        ordering = ["proposal", "application__commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "application"], name="proposal_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(booklets_planned__gte=1), name="proposal_item_booklets"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.commune.name} : {self.booklets_planned} carnets"


class BureauVote(models.Model):
    """The funder's Bureau vote on the proposal: it selects the territories (seed, section 4)."""

    call = models.OneToOneField("ami.Call", on_delete=models.PROTECT, related_name="bureau_vote")
    funder = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="commanditaire",
        on_delete=models.PROTECT,
        related_name="+",
    )
    voted_on = models.DateField("date du vote")
    deliberation_number = models.CharField("numéro de délibération", max_length=50)
    votes_for = models.PositiveIntegerField("voix pour")
    votes_against = models.PositiveIntegerField("voix contre")
    votes_abstaining = models.PositiveIntegerField("abstentions")
    selected_applications = models.ManyToManyField(
        "ami.Application", verbose_name="candidatures retenues", related_name="+", blank=True
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField("enregistré le", auto_now_add=True)

    class Meta:
        verbose_name = "vote du Bureau"
        verbose_name_plural = "votes du Bureau"
        constraints = [
            models.UniqueConstraint(
                fields=["funder", "deliberation_number"], name="bureau_vote_deliberation_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(votes_for__gte=0, votes_against__gte=0, votes_abstaining__gte=0),
                name="bureau_vote_counts_non_negative",
            ),
            models.CheckConstraint(
                condition=~models.Q(deliberation_number=""),
                name="bureau_vote_deliberation_named",
            ),
        ]

    def __str__(self) -> str:
        return f"Délibération {self.deliberation_number} du {self.voted_on:%d/%m/%Y}"
