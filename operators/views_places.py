"""Views: places (see operators/urls.py)."""

urlpatterns: list = []
