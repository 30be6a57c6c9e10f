from django.urls import path

from . import otp, views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("", views.account, name="account"),
    path("mot-de-passe/", views.password_change, name="password_change"),
    path("double-authentification/", otp.otp_setup, name="otp_setup"),
    path("double-authentification/verifier/", otp.otp_verify, name="otp_verify"),
]
