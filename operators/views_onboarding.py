"""Views: onboarding (see operators/urls.py)."""

urlpatterns: list = []
