from django.contrib import admin

from .models import OperatorProfile, Place, Service


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin):
    list_display = ["organisation", "qualification", "reference_number", "decided_at"]
    list_filter = ["qualification"]
    raw_id_fields = ["organisation", "decided_by"]


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "commune", "accepts_passes", "is_active"]
    raw_id_fields = ["operator", "commune"]
    search_fields = ["name", "operator__name"]


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["title", "operator", "theme", "price_in_passes", "is_active"]
    raw_id_fields = ["operator"]
