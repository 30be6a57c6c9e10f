"""Views: the public open-data exports (no login; only published places)."""

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import exports, queries


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "opendata/index.html",
        {
            "place_count": queries.published_places().count(),
            "schema_version": exports.SCHEMA_VERSION,
        },
    )


@require_GET
def places_csv(request: HttpRequest) -> StreamingHttpResponse:
    response = StreamingHttpResponse(exports.csv_lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lieux-mediation-numerique.csv"'
    return response


def _json(data: list[dict]) -> HttpResponse:
    return JsonResponse(data, safe=False, json_dumps_params={"ensure_ascii": False})


@require_GET
def di_structures(request: HttpRequest) -> HttpResponse:
    return _json(exports.structures_data())


@require_GET
def di_services(request: HttpRequest) -> HttpResponse:
    return _json(exports.services_data())
