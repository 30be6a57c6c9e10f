from django.urls import path

from . import views

app_name = "jobs"
urlpatterns = [
    path("referentiel/", views.communes_refresh, name="communes_refresh"),
    path("organisation/<int:organisation_id>/", views.organisation_jobs, name="organisation_jobs"),
    path("<uuid:job_id>/", views.detail, name="detail"),
    path("<uuid:job_id>/progression/", views.progress, name="progress"),
]
