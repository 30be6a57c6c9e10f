from django.contrib.auth import login, logout
from django.http import HttpRequest

from journal.models import JournalEntry
from journal.services import client_ip, record

from . import throttle
from .models import User


class LoginThrottled(Exception):
    pass


def check_not_throttled(request: HttpRequest, email: str) -> None:
    if throttle.is_blocked(email, client_ip(request)):
        record(
            JournalEntry.Action.LOGIN_THROTTLED,
            request=request,
            actor_label=email[:254],
            details={"email": email[:254]},
        )
        raise LoginThrottled(
            "Trop de tentatives de connexion échouées. Réessayez dans quelques minutes ou "
            "réinitialisez votre mot de passe auprès de l'administrateur de votre structure."
        )


def login_succeeded(request: HttpRequest, user: User) -> None:
    login(request, user)
    throttle.reset(user.email)
    record(JournalEntry.Action.LOGIN, actor=user, request=request)


def login_failed(request: HttpRequest, email: str) -> None:
    throttle.record_failure(email, client_ip(request))
    record(
        JournalEntry.Action.LOGIN_FAILED,
        request=request,
        actor_label=email[:254],
        details={"email": email[:254]},
    )


def logout_user(request: HttpRequest) -> None:
    if request.user.is_authenticated:
        record(JournalEntry.Action.LOGOUT, actor=request.user, request=request)
    logout(request)
