from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def retention_months() -> int:
    """The retention of beneficiaries' records, in months (PERSONAL_DATA_RETENTION_MONTHS)."""
    return settings.PERSONAL_DATA_RETENTION_MONTHS
