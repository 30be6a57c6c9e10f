from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .queries import search_communes


@login_required
def communes(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    page = Paginator(search_communes(query), 50).get_page(request.GET.get("page"))
    return render(request, "geo/communes.html", {"page": page, "query": query})
