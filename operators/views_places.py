"""Views: an operator's places and service catalogue (see operators/urls.py).

Reads go through operators.places_queries after the membership check; writes through
operators.places. Every member may look; admins and members may change; read-only members get
a 403, members of another organisation a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from organisations.queries import get_membership_or_404, get_writer_membership_or_404

from . import opening_hours
from . import places as place_services
from . import places_queries as queries
from .models import Service

PAGE_SIZE = 25


def _checkboxes(label: str, choices) -> forms.MultipleChoiceField:
    """An optional list of the national schema's values, as checkboxes."""
    return forms.MultipleChoiceField(
        label=label, choices=choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class PlaceForm(forms.Form):
    name = forms.CharField(label="Nom du lieu", max_length=200)
    address = forms.CharField(label="Adresse", max_length=250, help_text="Numéro et voie.")
    address_complement = forms.CharField(
        label="Complément d'adresse", max_length=250, required=False
    )
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^\d{5}$",
        error_messages={"invalid": "Le code postal compte 5 chiffres."},
    )
    commune = forms.CharField(
        label="Code INSEE de la commune",
        max_length=5,
        help_text="5 caractères, par exemple 93001 pour Aubervilliers (pas le code postal).",
    )
    latitude = forms.DecimalField(
        label="Latitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label="Longitude",
        required=False,
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
    )
    opening_hours = forms.CharField(
        label="Horaires d'ouverture (format OpenStreetMap)",
        max_length=250,
        required=False,
        help_text=f"Par exemple : {opening_hours.EXAMPLE}. Jours : Mo Tu We Th Fr Sa Su, "
        "PH pour les jours fériés.",
    )
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    website = forms.URLField(label="Site web", required=False, assume_scheme="https")
    accessibility_url = forms.URLField(
        label="Fiche Acceslibre (accessibilité)",
        required=False,
        assume_scheme="https",
        help_text="Lien vers la fiche du lieu sur acceslibre.beta.gouv.fr.",
    )
    appointment_url = forms.URLField(
        label="Prise de rendez-vous en ligne", required=False, assume_scheme="https"
    )
    summary = forms.CharField(label="Présentation courte", max_length=280, required=False)
    description = forms.CharField(
        label="Présentation détaillée", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    services = _checkboxes(
        "Services proposés (schéma national)", place_services.VOCABULARIES["services"]
    )
    publics = _checkboxes("Publics spécifiquement adressés", place_services.PUBLICS)
    specific_support = _checkboxes("Prise en charge spécifique", place_services.SPECIFIC_SUPPORT)
    access_modalities = _checkboxes("Modalités d'accès", place_services.ACCESS_MODALITIES)
    support_modalities = _checkboxes(
        "Modalités d'accompagnement", place_services.SUPPORT_MODALITIES
    )
    national_programmes = _checkboxes(
        "Dispositifs et programmes nationaux présents", place_services.NATIONAL_PROGRAMMES
    )
    labels = _checkboxes("Formations et labels", place_services.LABELS)
    typology = _checkboxes("Typologie du lieu", place_services.TYPOLOGIES)
    accepts_passes = forms.BooleanField(label="Ce lieu accepte les pass numériques", required=False)

    def clean_commune(self):
        return place_services.clean_commune(self.cleaned_data["commune"])

    def clean_opening_hours(self):
        return place_services.clean_opening_hours(self.cleaned_data["opening_hours"])

    def clean_phone(self):
        return place_services.clean_phone(self.cleaned_data["phone"])

    def clean_accessibility_url(self):
        return place_services.clean_accessibility_url(self.cleaned_data["accessibility_url"])

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None):
            raise ValidationError("Donnez la latitude et la longitude, ou aucune des deux.")
        return cleaned


class ServiceForm(forms.Form):
    title = forms.CharField(label="Intitulé", max_length=200)
    theme = forms.ChoiceField(label="Thème (schéma national)", choices=Service.Theme.choices)
    is_collective = forms.TypedChoiceField(
        label="Format",
        choices=[("0", "Individuel"), ("1", "Collectif (atelier)")],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="0",
    )
    duration_minutes = forms.IntegerField(
        label="Durée (minutes)", min_value=1, max_value=24 * 60, initial=60
    )
    price_in_passes = forms.IntegerField(
        label="Prix en pass",
        min_value=1,
        max_value=20,
        initial=1,
        help_text="Entre 1 et 20 : c'est le nombre de pass que l'écran d'encaissement attend.",
    )
    description = forms.CharField(
        label="Description", required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


def _place_initial(place) -> dict:
    initial = {field: getattr(place, field) for field in place_services.PLACE_FIELDS}
    initial["commune"] = place.commune_id
    return initial


def _apply_errors(form: forms.Form, exc: place_services.PlaceError) -> None:
    for field, message in exc.errors.items():
        form.add_error(None if field == "__all__" or field not in form.fields else field, message)


def _operator_membership(request: HttpRequest, org_id: int, *, write: bool):
    if write:
        membership = get_writer_membership_or_404(request.user, org_id)
    else:
        membership = get_membership_or_404(request.user, org_id)
    queries.require_operator(membership.organisation)
    return membership


# --- Places ---------------------------------------------------------------------------------


@login_required
def place_list(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=False)
    operator = membership.organisation
    page = Paginator(queries.places_of(operator), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "operators/places/list.html",
        {
            "organisation": operator,
            "membership": membership,
            "page": page,
            "can_write": membership.role in ("ADMIN", "MEMBER"),
        },
    )


@login_required
def place_create(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=True)
    operator = membership.organisation
    form = PlaceForm(
        request.POST if request.method == "POST" else None, initial={"accepts_passes": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            place = place_services.create_place(
                operator, form.cleaned_data, by=request.user, request=request
            )
        except place_services.PlaceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(
                request, f"Le lieu « {place.name} » est créé ; il attend sa qualification."
            )
            return redirect("operators:places", org_id=operator.pk)
    return render(
        request,
        "operators/places/form.html",
        {"organisation": operator, "membership": membership, "form": form, "place": None},
        status=400 if form.errors else 200,
    )


@login_required
def place_edit(request: HttpRequest, org_id: int, place_id: int) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=True)
    operator = membership.organisation
    place = queries.place_of_or_404(operator, place_id)
    form = PlaceForm(
        request.POST if request.method == "POST" else None, initial=_place_initial(place)
    )
    if request.method == "POST" and form.is_valid():
        try:
            place = place_services.update_place(
                operator, place.pk, form.cleaned_data, by=request.user, request=request
            )
        except place_services.PlaceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Le lieu « {place.name} » est enregistré.")
            return redirect("operators:places", org_id=operator.pk)
    return render(
        request,
        "operators/places/form.html",
        {"organisation": operator, "membership": membership, "form": form, "place": place},
        status=400 if form.errors else 200,
    )


def _toggle_place(request: HttpRequest, org_id: int, place_id: int, active: bool) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=True)
    operator = membership.organisation
    place = queries.place_of_or_404(operator, place_id)
    try:
        place_services.set_place_active(
            operator, place.pk, active, by=request.user, request=request
        )
    except place_services.PlaceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Le lieu « {place.name} » est {'réactivé' if active else 'désactivé'}.",
        )
    return redirect("operators:places", org_id=operator.pk)


@login_required
@require_POST
def place_deactivate(request: HttpRequest, org_id: int, place_id: int) -> HttpResponse:
    return _toggle_place(request, org_id, place_id, False)


@login_required
@require_POST
def place_reactivate(request: HttpRequest, org_id: int, place_id: int) -> HttpResponse:
    return _toggle_place(request, org_id, place_id, True)


# --- Service catalogue ------------------------------------------------------------------------


@login_required
def catalogue_list(request: HttpRequest, org_id: int) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=False)
    operator = membership.organisation
    page = Paginator(queries.services_of(operator), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "operators/places/catalogue.html",
        {
            "organisation": operator,
            "membership": membership,
            "page": page,
            "can_write": membership.role in ("ADMIN", "MEMBER"),
        },
    )


def _service_form_view(request: HttpRequest, org_id: int, service_id: int | None) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=True)
    operator = membership.organisation
    service = queries.service_of_or_404(operator, service_id) if service_id else None
    initial = (
        {
            "title": service.title,
            "theme": service.theme,
            "is_collective": "1" if service.is_collective else "0",
            "duration_minutes": service.duration_minutes,
            "price_in_passes": service.price_in_passes,
            "description": service.description,
        }
        if service
        else None
    )
    form = ServiceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if service is None:
                saved = place_services.create_service(
                    operator, form.cleaned_data, by=request.user, request=request
                )
            else:
                saved = place_services.update_service(
                    operator, service.pk, form.cleaned_data, by=request.user, request=request
                )
        except place_services.PlaceError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Le service « {saved.title} » est enregistré.")
            return redirect("operators:catalogue", org_id=operator.pk)
    return render(
        request,
        "operators/places/service_form.html",
        {"organisation": operator, "membership": membership, "form": form, "service": service},
        status=400 if form.errors else 200,
    )


@login_required
def catalogue_create(request: HttpRequest, org_id: int) -> HttpResponse:
    return _service_form_view(request, org_id, None)


@login_required
def catalogue_edit(request: HttpRequest, org_id: int, service_id: int) -> HttpResponse:
    return _service_form_view(request, org_id, service_id)


def _toggle_service(
    request: HttpRequest, org_id: int, service_id: int, active: bool
) -> HttpResponse:
    membership = _operator_membership(request, org_id, write=True)
    operator = membership.organisation
    service = queries.service_of_or_404(operator, service_id)
    try:
        place_services.set_service_active(
            operator, service.pk, active, by=request.user, request=request
        )
    except place_services.PlaceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Le service « {service.title} » est "
            f"{'remis au catalogue' if active else 'retiré du catalogue'}.",
        )
    return redirect("operators:catalogue", org_id=operator.pk)


@login_required
@require_POST
def catalogue_deactivate(request: HttpRequest, org_id: int, service_id: int) -> HttpResponse:
    return _toggle_service(request, org_id, service_id, False)


@login_required
@require_POST
def catalogue_reactivate(request: HttpRequest, org_id: int, service_id: int) -> HttpResponse:
    return _toggle_service(request, org_id, service_id, True)


urlpatterns = [
    path("<int:org_id>/lieux/", place_list, name="places"),
    path("<int:org_id>/lieux/nouveau/", place_create, name="place_create"),
    path("<int:org_id>/lieux/<int:place_id>/modifier/", place_edit, name="place_edit"),
    path(
        "<int:org_id>/lieux/<int:place_id>/desactiver/", place_deactivate, name="place_deactivate"
    ),
    path("<int:org_id>/lieux/<int:place_id>/reactiver/", place_reactivate, name="place_reactivate"),
    path("<int:org_id>/catalogue/", catalogue_list, name="catalogue"),
    path("<int:org_id>/catalogue/nouveau/", catalogue_create, name="catalogue_create"),
    path(
        "<int:org_id>/catalogue/<int:service_id>/modifier/", catalogue_edit, name="catalogue_edit"
    ),
    path(
        "<int:org_id>/catalogue/<int:service_id>/retirer/",
        catalogue_deactivate,
        name="catalogue_deactivate",
    ),
    path(
        "<int:org_id>/catalogue/<int:service_id>/remettre/",
        catalogue_reactivate,
        name="catalogue_reactivate",
    ),
]
