from django.contrib import admin

from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Read-only: jobs change state only through jobs.services."""

    list_display = ["label", "kind", "organisation", "status", "created_by", "created_at"]
    list_filter = ["status", "kind"]
    search_fields = ["label", "kind", "id", "task_result_id"]
    date_hierarchy = "created_at"
    list_select_related = ["organisation", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
