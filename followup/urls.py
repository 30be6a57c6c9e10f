from django.urls import path

from . import views

app_name = "followup"

T = "<int:organisation_id>/territoires/<int:pk>/"
urlpatterns = [
    path("<int:organisation_id>/", views.territories, name="territories"),
    path(
        "<int:organisation_id>/territoires/export.<str:fmt>",
        views.territories_export,
        name="territories_export",
    ),
    path(T, views.territory, name="territory"),
    path(T + "referents/", views.referents, name="referents"),
    path(T + "retour-experience/", views.feedback, name="feedback"),
    path(T + "comites/", views.committees, name="committees"),
    path(T + "comites/export.<str:fmt>", views.committees_export, name="committees_export"),
    path(T + "comites/nouveau/", views.committee_edit, name="committee_new"),
    path(T + "comites/<int:committee_id>/", views.committee, name="committee"),
    path(T + "comites/<int:committee_id>/modifier/", views.committee_edit, name="committee_edit"),
    path(
        T + "comites/<int:committee_id>/supprimer/",
        views.committee_delete,
        name="committee_delete",
    ),
    path(
        T + "comites/<int:committee_id>/presences/",
        views.committee_attendance,
        name="committee_attendance",
    ),
    path(
        T + "comites/<int:committee_id>/compte-rendu.pdf",
        views.committee_minutes,
        name="committee_minutes",
    ),
    path(
        "<int:organisation_id>/retours-experience/export.<str:fmt>",
        views.feedbacks_export,
        name="feedbacks_export",
    ),
    path("<int:organisation_id>/formations/", views.trainings, name="trainings"),
    path(
        "<int:organisation_id>/formations/export.<str:fmt>",
        views.trainings_export,
        name="trainings_export",
    ),
    path("<int:organisation_id>/formations/nouvelle/", views.training_edit, name="training_new"),
    path("<int:organisation_id>/formations/<int:pk>/", views.training, name="training"),
    path(
        "<int:organisation_id>/formations/<int:pk>/modifier/",
        views.training_edit,
        name="training_edit",
    ),
    path(
        "<int:organisation_id>/formations/<int:pk>/supprimer/",
        views.training_delete,
        name="training_delete",
    ),
    path(
        "<int:organisation_id>/formations/<int:pk>/presences/",
        views.training_attendance,
        name="training_attendance",
    ),
    path(
        "<int:organisation_id>/formations/<int:pk>/presences.<str:fmt>",
        views.training_attendance_export,
        name="training_attendance_export",
    ),
    path("<int:organisation_id>/rencontres/", views.meetings, name="meetings"),
    path(
        "<int:organisation_id>/rencontres/export.<str:fmt>",
        views.meetings_export,
        name="meetings_export",
    ),
    path("<int:organisation_id>/rencontres/nouvelle/", views.meeting_edit, name="meeting_new"),
    path("<int:organisation_id>/rencontres/<int:pk>/", views.meeting, name="meeting"),
    path(
        "<int:organisation_id>/rencontres/<int:pk>/modifier/",
        views.meeting_edit,
        name="meeting_edit",
    ),
    path(
        "<int:organisation_id>/rencontres/<int:pk>/supprimer/",
        views.meeting_delete,
        name="meeting_delete",
    ),
    path(
        "<int:organisation_id>/rencontres/<int:pk>/presences/",
        views.meeting_presence,
        name="meeting_presence",
    ),
    path(
        "<int:organisation_id>/rencontres/<int:pk>/compte-rendu.pdf",
        views.meeting_minutes,
        name="meeting_minutes",
    ),
]
