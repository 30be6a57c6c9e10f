from django.contrib import admin

from .models import Booklet, Order, Pass, PassEvent, Redemption, Transfer


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written by its services only; the admin reads."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["reference", "funder", "booklet_count", "status", "valid_until", "issued_at"]
    list_filter = ["status"]
    search_fields = ["reference", "funder__name"]


@admin.register(Booklet)
class BookletAdmin(ReadOnlyAdmin):
    list_display = ["serial", "order", "holder", "held_since"]
    search_fields = ["serial"]
    list_select_related = ["order", "holder"]


@admin.register(Pass)
class PassAdmin(ReadOnlyAdmin):
    list_display = ["serial", "order", "status", "holder", "redeemed_at"]
    list_filter = ["status"]
    search_fields = ["serial"]
    list_select_related = ["order", "holder"]


@admin.register(PassEvent)
class PassEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "order", "first_number", "last_number", "pass_count"]
    list_filter = ["kind"]


@admin.register(Transfer)
class TransferAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "from_holder",
        "to_holder",
        "booklet_count",
        "acknowledged_at",
    ]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "operator", "place", "service", "pass_count", "amount_cents"]
