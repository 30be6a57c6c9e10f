from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.forms import SetPasswordFields
from accounts.services import login_succeeded
from core.roles import mission_for
from journal.queries import journal_for_organisation

from . import queries, services
from .forms import InvitationForm, OrganisationForm, RoleForm
from .middleware import SESSION_KEY
from .models import Invitation, Membership


@login_required
def detail(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if request.session.get(SESSION_KEY) != organisation.pk:
        request.session[SESSION_KEY] = organisation.pk
        request.membership = membership
    return render(
        request,
        "organisations/detail.html",
        {
            "membership": membership,
            "organisation": organisation,
            "mission": mission_for(organisation.kind),
            "children": queries.children_of(organisation),
            "programmes": queries.programmes_of(organisation),
            "member_count": queries.members_of(organisation, include_inactive=False).count(),
        },
    )


@login_required
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    try:
        organisation_id = int(request.POST.get("organisation", ""))
    except ValueError:
        messages.error(request, "Choisissez une organisation dans la liste.")
        return redirect("core:home")
    membership = queries.get_membership_or_404(request.user, organisation_id)
    request.session[SESSION_KEY] = membership.organisation_id
    messages.success(request, f"Vous travaillez maintenant pour {membership.organisation}.")
    return redirect("organisations:detail", membership.organisation_id)


@login_required
def members(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        membership = queries.get_admin_membership_or_404(request.user, organisation_id)
        if form.is_valid():
            try:
                services.invite(
                    organisation,
                    form.cleaned_data["email"],
                    form.cleaned_data["role"],
                    by=request.user,
                    request=request,
                )
            except services.MembershipError as exc:
                form.add_error("email", str(exc))
            else:
                messages.success(request, f"Invitation envoyée à {form.cleaned_data['email']}.")
                return redirect("organisations:members", organisation.pk)
    page = Paginator(queries.members_of(organisation), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "organisations/members.html",
        {
            "membership": membership,
            "organisation": organisation,
            "page": page,
            "invitations": queries.pending_invitations(organisation) if membership.is_admin else [],
            "form": form,
            "role_form": RoleForm(),
            "invitation_ttl_days": settings.INVITATION_TTL_DAYS,
        },
    )


def _member_action(request: HttpRequest, organisation_id: int, membership_id: int):
    queries.get_admin_membership_or_404(request.user, organisation_id)
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=membership_id,
        organisation_id=organisation_id,
    )


@login_required
@require_POST
def member_update(request: HttpRequest, organisation_id: int, membership_id: int) -> HttpResponse:
    target = _member_action(request, organisation_id, membership_id)
    action = request.POST.get("action")
    try:
        if action == "deactivate":
            services.deactivate_member(target, by=request.user, request=request)
            messages.success(request, f"{target.user.email} a été désactivé(e).")
        elif action == "reactivate":
            services.reactivate_member(target, by=request.user, request=request)
            messages.success(request, f"{target.user.email} a été réactivé(e).")
        elif action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise services.MembershipError("Choisissez un rôle dans la liste.")
            services.change_role(
                target, form.cleaned_data["role"], by=request.user, request=request
            )
            messages.success(request, f"Le rôle de {target.user.email} a été modifié.")
        elif action in ("finance_on", "finance_off"):
            services.set_finance_role(
                target, action == "finance_on", by=request.user, request=request
            )
            if action == "finance_on":
                messages.success(request, f"{target.user.email} a maintenant le rôle finance.")
            else:
                messages.success(request, f"{target.user.email} n'a plus le rôle finance.")
        else:
            raise services.MembershipError("Action inconnue.")
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("organisations:members", organisation_id)


@login_required
@require_POST
def invitation_revoke(
    request: HttpRequest, organisation_id: int, invitation_id: int
) -> HttpResponse:
    queries.get_admin_membership_or_404(request.user, organisation_id)
    invitation = get_object_or_404(Invitation, pk=invitation_id, organisation_id=organisation_id)
    try:
        services.revoke_invitation(invitation, by=request.user, request=request)
        messages.success(request, f"L'invitation de {invitation.email} a été annulée.")
    except services.MembershipError as exc:
        messages.error(request, str(exc))
    return redirect("organisations:members", organisation_id)


@login_required
def journal(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.get_admin_membership_or_404(request.user, organisation_id)
    page = Paginator(journal_for_organisation(membership.organisation), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "organisations/journal.html",
        {"membership": membership, "organisation": membership.organisation, "page": page},
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = queries.find_invitation(token)
    try:
        services.check_invitation_usable(invitation)
    except services.InvitationError as exc:
        return render(
            request,
            "organisations/invitation_invalid.html",
            {"error": str(exc)},
            status=410 if invitation is not None else 404,
        )
    existing_account = invitation.email_has_account()
    form = None
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                membership = services.accept_invitation(
                    invitation, user=request.user, request=request
                )
            except services.InvitationError as exc:
                messages.error(request, str(exc))
                return redirect("core:home")
            request.session[SESSION_KEY] = membership.organisation_id
            messages.success(request, f"Bienvenue dans l'espace de {membership.organisation}.")
            return redirect("organisations:detail", membership.organisation_id)
    elif not existing_account:
        form = SetPasswordFields(request.POST or None, email=invitation.email)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                membership = services.accept_invitation(
                    invitation,
                    new_user_data={
                        "password": data["password1"],
                        "first_name": data["first_name"],
                        "last_name": data["last_name"],
                    },
                    request=request,
                )
            except services.InvitationError as exc:
                form.add_error(None, str(exc))
            else:
                login_succeeded(request, membership.user)
                request.session[SESSION_KEY] = membership.organisation_id
                messages.success(
                    request,
                    f"Votre compte est créé. Bienvenue dans l'espace de {membership.organisation}.",
                )
                return redirect("organisations:detail", membership.organisation_id)
    return render(
        request,
        "organisations/invitation_accept.html",
        {"invitation": invitation, "form": form, "existing_account": existing_account},
    )


@login_required
def edit(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = queries.get_admin_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    form = OrganisationForm(request.POST or None, request.FILES or None, instance=organisation)
    if request.method == "POST" and form.is_valid():
        services.update_organisation(form, by=request.user, request=request)
        messages.success(request, "Les informations de l'organisation ont été enregistrées.")
        return redirect("organisations:detail", organisation.pk)
    if request.method == "POST":
        organisation.refresh_from_db()
    return render(
        request,
        "organisations/edit.html",
        {"membership": membership, "organisation": organisation, "form": form},
    )
