"""The one shape of a write page, written once.

``form_page``: a GET shows the form; a POST with a valid form calls the service, then a success
message and a redirect; a refused service (one of ``errors``) or an invalid form shows the page
again with status 400, nothing written. ``post_action``: a POST-only button (no page of its own):
the service, then a success or an error message, and a redirect either way.

Plain functions, no class-based view: the view keeps its permissions, its form and its context,
and says in a few keyword arguments what the service, the message and the next page are."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

T = TypeVar("T")
Errors = type[Exception] | tuple[type[Exception], ...]
Message = str | Callable[[Any], str]
Target = str | Callable[[Any], str]


def _text(value: Message | Target, result: Any) -> str:
    return value(result) if callable(value) else value


def form_page(
    request: HttpRequest,
    form: forms.BaseForm,
    action: Callable[[dict[str, Any]], T],
    *,
    errors: Errors,
    success: Message,
    redirect_to: Target,
    template: str,
    context: Mapping[str, Any],
    invalid: str = "",
    error_on_form: bool = False,
) -> HttpResponse:
    """Runs ``action(form.cleaned_data)`` on a valid POST and redirects to ``redirect_to`` with
    the ``success`` message (either may be a function of what ``action`` returned).

    Otherwise renders ``template`` with ``context`` and ``form``: status 200 on a GET, 400 after
    a failed POST. The reason of the failure is the refused service's message, or ``invalid``
    for an invalid form; it goes to the page as ``error``, or, with ``error_on_form``, to the
    form's non-field errors (an invalid form then shows its own errors)."""
    error = ""
    failed = False
    if request.method == "POST":
        failed = True
        if form.is_valid():
            try:
                result = action(form.cleaned_data)
            except errors as exc:
                error = str(exc)
            else:
                messages.success(request, _text(success, result))
                return redirect(_text(redirect_to, result))
        else:
            error = invalid
    page = {**context, "form": form}
    if error_on_form:
        if error:
            form.add_error(None, error)
    else:
        page["error"] = error
    return render(request, template, page, status=400 if failed else 200)


def post_action(
    request: HttpRequest,
    action: Callable[[], T],
    *,
    errors: Errors,
    success: Message,
    redirect_to: str,
) -> HttpResponse:
    """Runs ``action()``; its result's ``success`` message, or the refusal as an error message;
    then the redirect to ``redirect_to`` in both cases."""
    try:
        result = action()
    except errors as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _text(success, result))
    return redirect(redirect_to)
