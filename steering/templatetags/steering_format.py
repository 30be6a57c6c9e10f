from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


def _int(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


@register.filter
def cell(value) -> str:
    """A table cell in French: 1 234, 45,5, 15/10/2021; « — » when there is no value."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        text = f"{value:.1f}".replace(".", ",")
        return text[:-2] if text.endswith(",0") else text
    if isinstance(value, int):
        return _int(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


@register.filter
def cell_kind(value) -> str:
    """The CSS class of a cell: figures and dates stay on one line and align right, words wrap."""
    if value is None or isinstance(value, int | float | date):
        return "num"
    return "text"


@register.filter
def pct(value) -> str:
    """45.5 → « 45,5 % »; None → « — »."""
    if value is None:
        return "—"
    return f"{cell(float(value))}\u00a0%"
