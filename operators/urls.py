"""Operators' pages, under the "operators" namespace (mounted at /operateurs/)."""

from . import views_dashboard, views_onboarding, views_places

app_name = "operators"
urlpatterns = [
    *views_onboarding.urlpatterns,
    *views_places.urlpatterns,
    *views_dashboard.urlpatterns,
]
