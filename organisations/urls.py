from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("choisir/", views.switch, name="switch"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("<int:organisation_id>/", views.detail, name="detail"),
    path("<int:organisation_id>/modifier/", views.edit, name="edit"),
    path("<int:organisation_id>/membres/", views.members, name="members"),
    path(
        "<int:organisation_id>/membres/<int:membership_id>/",
        views.member_update,
        name="member_update",
    ),
    path(
        "<int:organisation_id>/invitations/<int:invitation_id>/annuler/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("<int:organisation_id>/journal/", views.journal, name="journal"),
]
