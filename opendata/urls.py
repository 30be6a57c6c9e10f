from django.urls import path

from . import views

app_name = "opendata"
urlpatterns = [
    path("", views.index, name="index"),
    path("lieux-mediation-numerique.csv", views.places_csv, name="places_csv"),
    path("data-inclusion/structures.json", views.di_structures, name="di_structures"),
    path("data-inclusion/services.json", views.di_services, name="di_services"),
]
