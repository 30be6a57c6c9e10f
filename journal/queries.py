from django.db.models import QuerySet

from .models import JournalEntry


def journal_for_organisation(organisation) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.filter(organisation=organisation).select_related("actor")
