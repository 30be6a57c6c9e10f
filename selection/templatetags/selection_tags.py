"""Filters of the proposal form: the bound fields of one application's row."""

from django import template

register = template.Library()


@register.filter
def proposal_include(form, application):
    return form[f"include_{application.pk}"]


@register.filter
def proposal_booklets(form, application):
    return form[f"booklets_{application.pk}"]
