"""Two-factor authentication (TOTP, django-otp): set-up with a QR code, and verification.

Sensitive actions (an operator's bank details) check ``request.user.is_verified()`` and send the
user here with ``?next=``.
"""

import base64

import segno
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

DEVICE_NAME = "Application d'authentification"


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="Code à 6 chiffres",
        regex=r"^[0-9]{6}$",
        max_length=6,
        error_messages={"invalid": "Le code compte 6 chiffres."},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}
        ),
        help_text="Affiché par votre application d'authentification ; il change toutes les 30 s.",
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("accounts:account")


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def qr_data_uri(text: str) -> str:
    """An SVG QR code as a data: URI (the CSP allows img-src data:)."""
    svg = segno.make(text, error="m").svg_inline(scale=5, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@login_required
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Pair an authenticator app: scan the QR code (or type the key), then type one code."""
    next_url = _next(request)
    if confirmed_device(request.user) is not None:
        messages.info(request, "L'authentification à deux facteurs est déjà activée.")
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by(
        "pk"
    ).first() or TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = TokenForm(data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            messages.success(request, "L'authentification à deux facteurs est activée.")
            return redirect(next_url)
        if form.is_valid():
            form.add_error("token", "Ce code n'est pas le bon : vérifiez l'heure du téléphone.")
        status = 400
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "next": next_url,
        },
        status=status,
    )


@login_required
def otp_verify(request: HttpRequest) -> HttpResponse:
    next_url = _next(request)
    device = confirmed_device(request.user)
    if device is None:
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': next_url})}")
    form = TokenForm(data=request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            messages.success(request, "Identité confirmée.")
            return redirect(next_url)
        if form.is_valid():
            form.add_error("token", "Ce code n'est pas le bon, ou il a expiré.")
        status = 400
    return render(
        request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=status
    )
