"""The committee's screens, the composition of the committee and the Bureau vote
(mounted at /selection/)."""

from django.urls import path

from . import views

app_name = "selection"

CALL = "<int:organisation_id>/appels/<int:call_id>/"

urlpatterns = [
    path("<int:organisation_id>/", views.calls, name="calls"),
    path(CALL, views.board, name="board"),
    path(CALL + "comite/", views.committee, name="committee"),
    path(CALL + "comite/<int:member_id>/retirer/", views.remove_member, name="remove_member"),
    path(CALL + "presidence/", views.delegate, name="delegate"),
    path(CALL + "declaration/", views.declare, name="declare"),
    path(CALL + "candidatures/<int:application_id>/", views.application, name="application"),
    path(
        CALL + "candidatures/<int:application_id>/pieces/<int:document_id>/",
        views.document,
        name="document",
    ),
    path(CALL + "classement/", views.ranking, name="ranking"),
    path(CALL + "proposition/", views.proposal, name="proposal"),
    path(CALL + "proposition/valider/", views.validate, name="validate"),
    path(CALL + "vote/", views.vote, name="vote"),
    path(
        CALL + "export/candidatures.<str:fmt>",
        views.export_applications,
        name="export_applications",
    ),
    path(CALL + "export/notes.<str:fmt>", views.export_scores, name="export_scores"),
    path(CALL + "decision.pdf", views.decision_pdf, name="decision_pdf"),
]
