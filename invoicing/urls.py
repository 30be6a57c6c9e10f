from django.urls import path

from . import views

app_name = "invoicing"

urlpatterns = [
    path("<int:organisation_id>/", views.billing, name="billing"),
    path("<int:organisation_id>/export.<str:fmt>", views.billing_export, name="billing_export"),
    path("<int:organisation_id>/commandes/<int:order_id>/", views.order_account, name="order"),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/releve.<str:fmt>",
        views.statement_export,
        name="statement_export",
    ),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/facture/",
        views.invoice_issue,
        name="invoice_issue",
    ),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/facture.pdf",
        views.invoice_pdf,
        name="invoice_pdf",
    ),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/avoir/",
        views.credit_note_issue,
        name="credit_note_issue",
    ),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/avoir.pdf",
        views.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path(
        "<int:organisation_id>/commandes/<int:order_id>/etat-contradictoire.pdf",
        views.contradictory_pdf,
        name="contradictory_pdf",
    ),
    path(
        "<int:organisation_id>/cofinancement/<int:programme_id>/",
        views.cofinancing,
        name="cofinancing",
    ),
    path(
        "<int:organisation_id>/cofinancement/<int:programme_id>/export.<str:fmt>",
        views.cofinancing_export,
        name="cofinancing_export",
    ),
]
