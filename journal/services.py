from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest

from .models import JournalEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address. Behind our own TLS proxy, the last X-Forwarded-For hop is the one
    that proxy saw (earlier hops are client-supplied and not trusted)."""
    if request is None:
        return None
    if settings.BEHIND_TLS_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def record(
    action: str,
    *,
    actor=None,
    organisation=None,
    obj: models.Model | None = None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    actor_label: str = "",
) -> JournalEntry:
    """Append one entry to the journal. Call it from services, inside their transaction."""
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    return JournalEntry.objects.create(
        action=action,
        actor=actor,
        actor_label=actor_label or (actor.email if actor is not None else "système"),
        organisation=organisation,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:250] if obj is not None else "",
        ip_address=client_ip(request),
        details=details or {},
    )
