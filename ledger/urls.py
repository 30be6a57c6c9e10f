"""The ledger's pages. Each views module owns its urlpatterns, all under the "ledger" namespace."""

from . import views_custody, views_orders, views_print, views_redeem

app_name = "ledger"
urlpatterns = [
    *views_orders.urlpatterns,
    *views_custody.urlpatterns,
    *views_redeem.urlpatterns,
    *views_print.urlpatterns,
]
