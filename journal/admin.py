from django.contrib import admin

from .models import JournalEntry


@admin.register(JournalEntry)
class JournalEntryAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "action",
        "actor_label",
        "organisation",
        "object_repr",
        "ip_address",
    ]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_repr", "organisation__name"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
