"""Views: orders (see ledger/urls.py)."""

urlpatterns: list = []
