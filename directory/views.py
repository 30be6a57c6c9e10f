"""The public directory of places and its map (no login needed)."""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from . import queries
from .forms import DirectorySearchForm
from .opening_hours import humanise

PAGE_SIZE = 20


def index(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        places = queries.qualified_places().none()
    else:
        filters = form.filters() if form.is_bound else queries.DirectoryFilters()
        places = queries.search_places(filters)
    page = Paginator(places, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "directory/index.html",
        {
            "form": form,
            "page": page,
            "query_string": query.urlencode(),
            "filtered": form.is_bound,
            "map_data": queries.map_data(places),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


def place_detail(request: HttpRequest, place_id: int) -> HttpResponse:
    place = queries.get_public_place(place_id)
    if place is None:
        raise Http404("Lieu introuvable.")
    return render(
        request,
        "directory/place.html",
        {
            "place": place,
            "opening_hours": humanise(place.opening_hours),
            "catalogue": queries.catalogue_of(place),
            "services": queries.service_labels(place.services),
            "publics": queries.readable_list(place.publics, queries.PUBLICS),
            "specific_support": queries.readable_list(
                place.specific_support, queries.SPECIFIC_SUPPORT
            ),
            "programmes": queries.readable_list(place.national_programmes),
            "pass_programmes": queries.pass_programmes_at(place, timezone.localdate()),
            "access_modalities": queries.readable_list(place.access_modalities),
            "support_modalities": queries.readable_list(place.support_modalities),
            "map_data": queries.map_data(queries.qualified_places().filter(pk=place.pk)),
            "tile_url": settings.MAP_TILE_URL,
            "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        },
    )


urlpatterns = [
    path("", index, name="index"),
    path("<int:place_id>/", place_detail, name="place"),
]
