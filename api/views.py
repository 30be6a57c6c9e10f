"""« Mon compte » › « Jetons d'API »: list, create and revoke one's own personal tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from . import queries, services
from .forms import ApiTokenForm


@login_required
@never_cache
def token_list(request: HttpRequest) -> HttpResponse:
    """The list of my tokens, and the creation form (POST creates one)."""
    form = ApiTokenForm(request.POST or None)
    new_token = clear_token = None
    if request.method == "POST" and form.is_valid():
        try:
            new_token, clear_token = services.create_token(
                request.user, form.cleaned_data["name"], actor=request.user, request=request
            )
        except services.ApiTokenError as exc:
            form.add_error("name", str(exc))
        else:
            # The clear token is shown in this response only (never stored, never cached):
            # no redirect, and a fresh form for the next one.
            form = ApiTokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "tokens": queries.tokens_of(request.user),
            "form": form,
            "new_token": new_token,
            "clear_token": clear_token,
        },
    )


@login_required
@never_cache
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    """Confirmation page (GET) and revocation (POST) of one of my tokens."""
    token = queries.get_own_token_or_404(request.user, token_id)
    if request.method == "POST":
        if services.revoke_token(token, actor=request.user, request=request):
            messages.success(request, f"Le jeton « {token.name} » a été révoqué.")
        else:
            messages.warning(request, f"Le jeton « {token.name} » était déjà révoqué.")
        return redirect("api_tokens:list")
    return render(request, "api/token_revoke.html", {"token": token})
