from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("theme/<int:organisation_id>.css", views.theme_css, name="theme"),
    path("theme/<int:organisation_id>/logo", views.theme_logo, name="theme_logo"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("donnees-personnelles/", views.personal_data, name="personal_data"),
    path("sante/", views.health, name="health"),
]
