from django.urls import path

from . import views

app_name = "beneficiaries"

urlpatterns = [
    path("<int:organisation_id>/", views.people, name="people"),
    path("<int:organisation_id>/synthese/", views.summary, name="summary"),
    path("<int:organisation_id>/nouvelle/", views.new_person, name="new"),
    path("<int:organisation_id>/<int:pk>/", views.person, name="person"),
    path("<int:organisation_id>/<int:pk>/modifier/", views.edit_person, name="edit"),
    path("<int:organisation_id>/<int:pk>/export/", views.export, name="export"),
]
