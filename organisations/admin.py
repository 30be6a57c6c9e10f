from django.contrib import admin

from .models import Invitation, Membership, Organisation


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "organisation"
    extra = 0
    fields = ["user", "role", "is_active", "deactivated_at"]
    raw_id_fields = ["user"]
    can_delete = False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "legal_category", "siret", "commune", "parent", "is_active"]
    list_filter = ["kind", "legal_category", "is_active"]
    search_fields = ["name", "siret"]
    raw_id_fields = ["commune", "parent"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_active", "updated_at"]
    list_filter = ["role", "is_active", "organisation__kind"]
    search_fields = ["user__email", "organisation__name"]
    raw_id_fields = ["user", "organisation", "updated_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # memberships are deactivated, never deleted


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "created_at", "expires_at", "accepted_at"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["token_hash", "accepted_at", "accepted_by", "created_at"]
    raw_id_fields = ["organisation", "invited_by"]
