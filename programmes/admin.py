from django.contrib import admin

from .models import Programme, Territory


class TerritoryInline(admin.TabularInline):
    model = Territory
    extra = 0
    raw_id_fields = ["municipality", "commune"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "funder", "issuer", "starts_on", "ends_on", "payment_mode"]
    search_fields = ["name", "funder__name"]
    raw_id_fields = ["funder", "issuer", "hub", "perimeter"]
    inlines = [TerritoryInline]
