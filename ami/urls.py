"""AMI pages, under the "ami" namespace (mounted at /ami/)."""

from django.urls import path

from . import views

app_name = "ami"
urlpatterns = [
    path("<int:org_id>/appels/", views.call_list, name="calls"),
    path("<int:org_id>/appels/nouveau/", views.call_create, name="call_create"),
    path("<int:org_id>/appels/<int:call_id>/", views.call_detail, name="call"),
    path("<int:org_id>/appels/<int:call_id>/modifier/", views.call_edit, name="call_edit"),
    path("<int:org_id>/appels/<int:call_id>/publication/", views.call_publish, name="call_publish"),
    path("<int:org_id>/appels/<int:call_id>/candidater/", views.application_start, name="apply"),
    path(
        "<int:org_id>/candidatures/<int:application_id>/",
        views.application_detail,
        name="application",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/dossier/",
        views.application_edit,
        name="application_edit",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/pieces/<int:required_id>/deposer/",
        views.document_upload,
        name="document_upload",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/pieces/<int:document_id>/retirer/",
        views.document_remove,
        name="document_remove",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/pieces/<int:document_id>/telecharger/",
        views.document_download,
        name="document_download",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/deposer/",
        views.application_submit,
        name="application_submit",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/accuse-de-reception.pdf",
        views.receipt_pdf,
        name="receipt",
    ),
    path(
        "<int:org_id>/candidatures/<int:application_id>/avis/",
        views.hub_opinion,
        name="hub_opinion",
    ),
]
