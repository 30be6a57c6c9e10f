"""Views: dashboard (see operators/urls.py)."""

urlpatterns: list = []
