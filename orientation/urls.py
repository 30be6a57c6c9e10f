"""Orientation pages, under the "orientation" namespace (mounted at /orientation/)."""

from . import views

app_name = "orientation"
urlpatterns = [*views.urlpatterns]
