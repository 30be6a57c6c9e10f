from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("<int:organisation_id>/", views.runs, name="runs"),
    path("<int:organisation_id>/campagnes.<str:fmt>", views.runs_export, name="runs_export"),
    path("<int:organisation_id>/preparer/", views.prepare, name="prepare"),
    path("<int:organisation_id>/compte-a-debiter/", views.debtor_account, name="debtor_account"),
    path("<int:organisation_id>/campagnes/<int:run_id>/", views.run_detail, name="run_detail"),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/lignes.<str:fmt>",
        views.lines_export,
        name="lines_export",
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/bloques.<str:fmt>",
        views.blocked_export,
        name="blocked_export",
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/rapprochement.<str:fmt>",
        views.reconciliation_export,
        name="reconciliation_export",
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/valider/",
        views.run_validate,
        name="run_validate",
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/annuler/", views.run_cancel, name="run_cancel"
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/exporter/",
        views.run_export,
        name="run_export",
    ),
    path("<int:organisation_id>/campagnes/<int:run_id>/payee/", views.run_paid, name="run_paid"),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/lignes/<int:line_id>/rejeter/",
        views.line_reject,
        name="line_reject",
    ),
    path(
        "<int:organisation_id>/campagnes/<int:run_id>/lignes/<int:line_id>/releve.<str:fmt>",
        views.line_statement,
        name="line_statement",
    ),
    path("<int:organisation_id>/releves/", views.operator_statements, name="operator_statements"),
    path(
        "<int:organisation_id>/releves.<str:fmt>",
        views.operator_statements_export,
        name="operator_statements_export",
    ),
    path(
        "<int:organisation_id>/releves/<int:line_id>.<str:fmt>",
        views.operator_statement,
        name="operator_statement",
    ),
]
