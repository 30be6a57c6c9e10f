"""Views: custody (see ledger/urls.py)."""

urlpatterns: list = []
