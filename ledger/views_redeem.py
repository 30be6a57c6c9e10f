"""Views: redeem (see ledger/urls.py)."""

urlpatterns: list = []
