from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from organisations.models import Organisation
from organisations.queries import memberships_for
from organisations.validators import logo_content_type

from .roles import mission_for


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "core/landing.html")
    memberships = list(memberships_for(request.user))
    current = request.membership
    if current is not None and len(memberships) == 1:
        return redirect("organisations:detail", current.organisation_id)
    return render(
        request,
        "core/home.html",
        {
            "memberships": [(m, mission_for(m.organisation.kind)) for m in memberships],
        },
    )


@require_GET
def theme_css(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """The funder's colour as CSS (served from our origin, so the CSP needs no inline style)."""
    funder = get_object_or_404(Organisation, pk=organisation_id, kind=Organisation.Kind.FUNDER)
    colour = funder.brand_colour or "#1d4e89"
    response = HttpResponse(f":root {{ --brand: {colour}; }}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def theme_logo(request: HttpRequest, organisation_id: int) -> HttpResponse:
    """A funder's logo, read from private storage; its type comes from its content."""
    funder = get_object_or_404(Organisation, pk=organisation_id, kind=Organisation.Kind.FUNDER)
    if not funder.logo:
        raise Http404("Pas de logo.")
    handle = funder.logo.open("rb")
    content_type = logo_content_type(handle.read(16))
    handle.seek(0)
    if content_type is None:
        handle.close()
        raise Http404("Logo illisible.")
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    return response


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "core/accessibility.html")


def personal_data(request: HttpRequest) -> HttpResponse:
    return render(request, "core/personal_data.html")


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
