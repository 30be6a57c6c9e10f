"""The public directory of places, under the "directory" namespace (mounted at /lieux/)."""

from . import views

app_name = "directory"
urlpatterns = [*views.urlpatterns]
