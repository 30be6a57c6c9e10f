from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from organisations.queries import memberships_for

from . import services
from .forms import LoginForm, ProfileForm


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "core:home")
    form = LoginForm(request, data=request.POST or None)
    status = 200
    if request.method == "POST":
        email = (request.POST.get("email") or "").strip().lower()
        try:
            services.check_not_throttled(request, email)
        except services.LoginThrottled as exc:
            form = LoginForm(request, initial={"email": email})
            return render(
                request, "accounts/login.html", {"form": form, "blocked": str(exc)}, status=429
            )
        if form.is_valid():
            services.login_succeeded(request, form.get_user())
            return redirect(_safe_next(request) or "core:home")
        if email:
            services.login_failed(request, email)
        status = 400
    return render(
        request, "accounts/login.html", {"form": form, "next": _safe_next(request)}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout_user(request)
    messages.success(request, "Vous êtes déconnecté(e).")
    response = redirect("core:home")
    # Pages kept for offline scanning are dropped; scans still waiting to be sent are kept.
    response["Clear-Site-Data"] = '"cache"'
    return response


@login_required
def account(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Vos informations ont été enregistrées.")
        return redirect("accounts:account")
    return render(
        request,
        "accounts/account.html",
        {"form": form, "memberships": memberships_for(request.user)},
    )


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, "Votre mot de passe a été modifié.")
        return redirect("accounts:account")
    return render(request, "accounts/password_change.html", {"form": form})
