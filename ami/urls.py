"""AMI pages, under the "ami" namespace (mounted at /ami/)."""

from . import views

app_name = "ami"
urlpatterns = [*views.urlpatterns]
