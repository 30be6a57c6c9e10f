from django.urls import path

from . import views

app_name = "steering"

urlpatterns = [
    path("organisation/<int:organisation_id>/", views.home, name="home"),
    path("programme/<int:programme_id>/", views.programme, name="programme"),
    path(
        "programme/<int:programme_id>/export/<slug:table>.<slug:fmt>",
        views.programme_export,
        name="programme_export",
    ),
    path(
        "programme/<int:programme_id>/actualiser/",
        views.programme_refresh,
        name="programme_refresh",
    ),
    path("collectivite/<int:organisation_id>/", views.municipality, name="municipality"),
    path(
        "collectivite/<int:organisation_id>/export/<slug:table>.<slug:fmt>",
        views.municipality_export,
        name="municipality_export",
    ),
    path("hub/<int:organisation_id>/", views.hub, name="hub"),
    path(
        "hub/<int:organisation_id>/export/<slug:table>.<slug:fmt>",
        views.hub_export,
        name="hub_export",
    ),
    path(
        "territoire/<int:territory_id>/rapport.pdf",
        views.territory_report,
        name="territory_report",
    ),
    path("mes-chiffres/<int:organisation_id>/", views.own_slice, name="slice"),
    path(
        "mes-chiffres/<int:organisation_id>/export/<slug:table>.<slug:fmt>",
        views.slice_export,
        name="slice_export",
    ),
    path("statistiques/", views.public, name="public"),
    path("statistiques/<int:programme_id>.<slug:fmt>", views.public_export, name="public_export"),
]
