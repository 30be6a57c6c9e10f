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
