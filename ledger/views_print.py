"""Views: print (see ledger/urls.py)."""

urlpatterns: list = []
