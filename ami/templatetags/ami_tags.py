"""Template helpers of the AMI app."""

from django import template
from django.utils.safestring import mark_safe

from ami import queries, services

register = template.Library()


@register.filter
def sanitised(html: str) -> str:
    """The call's text, cleaned again at display time (it is cleaned when saved too)."""
    return mark_safe(services.sanitise_body(html))  # noqa: S308 — nh3 has just cleaned it


@register.filter
def paris(value) -> str:
    """« 15/10/2021 à 20:00 » in Europe/Paris."""
    return queries.format_paris(value) if value else ""
