"""The public check page of a pass: /p/ (a form) and /p/<serial>.<code> (the QR payload, see
ledger.codes.qr_payload). The views live in views_redeem."""

from django.urls import re_path

from .views_redeem import public_check, public_check_form

app_name = "pass_check"
urlpatterns = [
    re_path(r"^$", public_check_form, name="form"),
    re_path(
        r"^(?P<serial>[0-9A-Za-z \-]{1,20})\.(?P<code>[0-9A-Za-z\-]{1,20})$",
        public_check,
        name="check",
    ),
]
