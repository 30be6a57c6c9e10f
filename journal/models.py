from django.conf import settings
from django.db import models


class JournalQuerySet(models.QuerySet["JournalEntry"]):
    def update(self, **kwargs):
        raise JournalEntry.Immutable("Le journal est en ajout seul : aucune modification.")

    def delete(self):
        raise JournalEntry.Immutable("Le journal est en ajout seul : aucune suppression.")


class JournalEntry(models.Model):
    """Append-only audit journal of sensitive actions: who, for which organisation, what, on
    which object, when and from which IP. Entries are written by services, never edited."""

    class Immutable(Exception):
        pass

    class Action(models.TextChoices):
        LOGIN = "LOGIN", "Connexion"
        LOGIN_FAILED = "LOGIN_FAILED", "Échec de connexion"
        LOGIN_THROTTLED = "LOGIN_THROTTLED", "Connexion bloquée (trop de tentatives)"
        LOGOUT = "LOGOUT", "Déconnexion"
        ORGANISATION_CREATED = "ORGANISATION_CREATED", "Organisation créée"
        ORGANISATION_UPDATED = "ORGANISATION_UPDATED", "Organisation modifiée"
        MEMBER_INVITED = "MEMBER_INVITED", "Invitation envoyée"
        INVITATION_REVOKED = "INVITATION_REVOKED", "Invitation annulée"
        INVITATION_ACCEPTED = "INVITATION_ACCEPTED", "Invitation acceptée"
        MEMBER_ADDED = "MEMBER_ADDED", "Membre ajouté"
        MEMBER_ROLE_CHANGED = "MEMBER_ROLE_CHANGED", "Rôle modifié"
        MEMBER_DEACTIVATED = "MEMBER_DEACTIVATED", "Membre désactivé"
        MEMBER_REACTIVATED = "MEMBER_REACTIVATED", "Membre réactivé"
        API_TOKEN_CREATED = "API_TOKEN_CREATED", "Jeton d'API créé"
        API_TOKEN_REVOKED = "API_TOKEN_REVOKED", "Jeton d'API révoqué"
        JOB_STARTED = "JOB_STARTED", "Tâche de fond lancée"
        REFERENCE_DATA_IMPORTED = "REFERENCE_DATA_IMPORTED", "Référentiel importé"
        DEMO_LOADED = "DEMO_LOADED", "Données de démonstration chargées"
        ORDER_CREATED = "ORDER_CREATED", "Commande créée"
        ORDER_CONFIRMED = "ORDER_CONFIRMED", "Commande confirmée"
        ORDER_ISSUED = "ORDER_ISSUED", "Pass émis"
        ORDER_ACTIVATED = "ORDER_ACTIVATED", "Commande activée"
        ORDER_CLOSED = "ORDER_CLOSED", "Commande clôturée"
        PRINT_DOWNLOADED = "PRINT_DOWNLOADED", "Fichier d'impression téléchargé"
        BOOKLETS_TRANSFERRED = "BOOKLETS_TRANSFERRED", "Carnets remis"
        BOOKLETS_RECEIVED = "BOOKLETS_RECEIVED", "Réception de carnets confirmée"
        PASSES_CANCELLED = "PASSES_CANCELLED", "Pass annulés"
        PASSES_EXPIRED = "PASSES_EXPIRED", "Pass expirés"
        # AMI (call for expressions of interest) and selection
        CALL_CREATED = "CALL_CREATED", "Appel à manifestation d'intérêt créé"
        CALL_UPDATED = "CALL_UPDATED", "Appel à manifestation d'intérêt modifié"
        CALL_PUBLISHED = "CALL_PUBLISHED", "Appel à manifestation d'intérêt publié"
        APPLICATION_CREATED = "APPLICATION_CREATED", "Candidature créée"
        APPLICATION_UPDATED = "APPLICATION_UPDATED", "Candidature modifiée"
        APPLICATION_SUBMITTED = "APPLICATION_SUBMITTED", "Candidature déposée"
        APPLICATION_DOCUMENT_ADDED = "APPLICATION_DOCUMENT_ADDED", "Pièce jointe déposée"
        APPLICATION_DOCUMENT_REMOVED = "APPLICATION_DOCUMENT_REMOVED", "Pièce jointe retirée"
        APPLICATION_DOCUMENT_DOWNLOADED = (
            "APPLICATION_DOCUMENT_DOWNLOADED",
            "Pièce jointe téléchargée",
        )
        HUB_OPINION_GIVEN = "HUB_OPINION_GIVEN", "Avis du hub rendu"
        CONFLICT_DECLARED = "CONFLICT_DECLARED", "Déclaration d'intérêts"
        SCORE_RECORDED = "SCORE_RECORDED", "Notation enregistrée"
        PROPOSAL_UPDATED = "PROPOSAL_UPDATED", "Proposition du comité modifiée"
        PROPOSAL_VALIDATED = "PROPOSAL_VALIDATED", "Proposition du comité validée"
        CHAIR_DELEGATED = "CHAIR_DELEGATED", "Présidence du comité déléguée"
        BUREAU_VOTE_RECORDED = "BUREAU_VOTE_RECORDED", "Vote du Bureau enregistré"
        DECISION_NOTIFIED = "DECISION_NOTIFIED", "Décision notifiée aux candidats"
        EXPORT_DOWNLOADED = "EXPORT_DOWNLOADED", "Export téléchargé"
        # Territory follow-up
        REFERENT_CHANGED = "REFERENT_CHANGED", "Référent du territoire modifié"
        TRAINING_RECORDED = "TRAINING_RECORDED", "Session de formation enregistrée"
        FOLLOWUP_MEETING_RECORDED = "FOLLOWUP_MEETING_RECORDED", "Comité de suivi enregistré"
        FEEDBACK_SUBMITTED = "FEEDBACK_SUBMITTED", "Retour d'expérience transmis"
        SHARING_MEETING_RECORDED = "SHARING_MEETING_RECORDED", "Rencontre d'échange enregistrée"
        FEEDBACK_DRAFT_SAVED = "FEEDBACK_DRAFT_SAVED", "Brouillon du retour d'expérience enregistré"
        MINUTES_DOWNLOADED = "MINUTES_DOWNLOADED", "Compte rendu téléchargé"
        TRAINING_DELETED = "TRAINING_DELETED", "Session de formation supprimée"
        COMMITTEE_DELETED = "COMMITTEE_DELETED", "Comité de suivi supprimé"
        SHARING_MEETING_DELETED = (
            "SHARING_MEETING_DELETED",
            "Réunion de partage d'expérience supprimée",
        )
        # Counter-payment and finance
        FINANCE_ROLE_CHANGED = "FINANCE_ROLE_CHANGED", "Rôle finance modifié"
        PAYMENT_RUN_PREPARED = "PAYMENT_RUN_PREPARED", "Campagne de contre-paiement préparée"
        PAYMENT_RUN_VALIDATED = "PAYMENT_RUN_VALIDATED", "Campagne de contre-paiement validée"
        PAYMENT_RUN_EXPORTED = "PAYMENT_RUN_EXPORTED", "Campagne de contre-paiement exportée"
        PAYMENT_RUN_PAID = "PAYMENT_RUN_PAID", "Campagne de contre-paiement payée"
        PAYMENT_RUN_CANCELLED = "PAYMENT_RUN_CANCELLED", "Campagne de contre-paiement annulée"
        PAYMENT_LINE_REJECTED = "PAYMENT_LINE_REJECTED", "Paiement rejeté"
        STATEMENT_DOWNLOADED = "STATEMENT_DOWNLOADED", "Relevé téléchargé"
        INVOICE_ISSUED = "INVOICE_ISSUED", "Facture émise"
        CREDIT_NOTE_ISSUED = "CREDIT_NOTE_ISSUED", "Avoir émis"
        COFINANCING_REPORT_DOWNLOADED = (
            "COFINANCING_REPORT_DOWNLOADED",
            "Rapport de cofinancement téléchargé",
        )

    created_at = models.DateTimeField("date", auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="auteur",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField("auteur (texte)", max_length=254, blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="journal_entries",
    )
    action = models.CharField("action", max_length=40, choices=Action.choices)
    object_type = models.CharField("type d'objet", max_length=100, blank=True)
    object_id = models.CharField("identifiant de l'objet", max_length=64, blank=True)
    object_repr = models.CharField("objet", max_length=250, blank=True)
    ip_address = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    details = models.JSONField("détails", default=dict, blank=True)

    objects = JournalQuerySet.as_manager()

    class Meta:
        verbose_name = "entrée du journal"
        verbose_name_plural = "journal"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%d/%m/%Y %H:%M} {self.get_action_display()} — {self.actor_label}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise self.Immutable("Le journal est en ajout seul : une entrée ne se modifie pas.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.Immutable("Le journal est en ajout seul : une entrée ne se supprime pas.")
