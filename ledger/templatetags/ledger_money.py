"""``{{ cents|euros }}``: integer cents in the French format, « 155 000,00 € »."""

from django import template

register = template.Library()

NBSP = "\u00a0"


def format_euros(cents: int) -> str:
    """1234567 → « 12 345,67 € » (no-break spaces between thousands and before the sign)."""
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


@register.filter
def euros(value) -> str:
    if value is None or value == "":
        return ""
    try:
        return format_euros(int(value))
    except (TypeError, ValueError):
        return ""
