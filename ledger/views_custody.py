"""Views: the stock of booklets of each holder, transfers, receipts, hand-out and cancellation
(see ledger/urls.py). Thin: permission checks, forms, then custody.py (writes) or
custody_queries.py (reads)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import User
from beneficiaries.models import Beneficiary
from organisations.models import Organisation
from organisations.queries import get_membership_or_404, get_writer_membership_or_404

from . import codes, custody
from . import custody_queries as queries
from .models import Booklet, Pass, Transfer, TransferKind

STOCK_KINDS = (
    Organisation.Kind.FUNDER,
    Organisation.Kind.MUNICIPALITY,
    Organisation.Kind.PRESCRIBER,
)
PAGE_SIZE = 50
TRANSFER_TITLES = {
    TransferKind.ALLOCATION: "Remettre des carnets",
    TransferKind.RETURN: "Retourner des carnets",
    TransferKind.REALLOCATION: "Réallouer des carnets",
}
CHOOSE_IN_LIST = {"invalid_choice": "Choisissez une organisation dans la liste."}
BOOKLETS_HELP = (
    "Une plage (C00001234-C00001250), une liste séparée par des virgules ou des retours à la "
    "ligne, ou les numéros scannés, un par ligne."
)


def _holder(request: HttpRequest, organisation_id: int, *, write: bool):
    getter = get_writer_membership_or_404 if write else get_membership_or_404
    membership = getter(request.user, organisation_id)
    if membership.organisation.kind not in STOCK_KINDS:
        raise Http404("Cette organisation ne détient pas de carnets.")
    return membership, membership.organisation


# --- Forms ----------------------------------------------------------------------------------


class TransferForm(forms.Form):
    from_holder = forms.TypedChoiceField(
        label="Détenteur actuel des carnets", coerce=int, error_messages=CHOOSE_IN_LIST
    )
    to_holder = forms.TypedChoiceField(
        label="Organisation destinataire", coerce=int, error_messages=CHOOSE_IN_LIST
    )
    to_person = forms.TypedChoiceField(
        label="Prescripteur nommé (facultatif)",
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "Choisissez une personne dans la liste."},
        help_text="Une personne membre de la structure destinataire, qui gardera les carnets.",
    )
    booklets = forms.CharField(
        label="Carnets", widget=forms.Textarea(attrs={"rows": 4}), help_text=BOOKLETS_HELP
    )
    note = forms.CharField(label="Note (facultative)", required=False, max_length=250)

    def __init__(self, *args, holder: Organisation, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        receivers = queries.allowed_receivers(holder, kind)
        self.receivers = {org.pk: org for org in receivers}
        self.fields["to_holder"].choices = [("", "— Choisissez —")] + [
            (org.pk, f"{org.name} ({org.get_kind_display()})") for org in receivers
        ]
        if kind == TransferKind.REALLOCATION:
            self.fields["from_holder"].choices = self.fields["to_holder"].choices
            self.fields["booklets"].help_text = (
                BOOKLETS_HELP + " Les carnets doivent être détenus par le détenteur choisi."
            )
        else:
            del self.fields["from_holder"]
        prescribers = [org for org in receivers if org.kind == Organisation.Kind.PRESCRIBER]
        if kind == TransferKind.ALLOCATION and prescribers:
            people = [
                (m.user_id, f"{m.user.get_full_name() or m.user.email} — {m.organisation.name}")
                for org in prescribers
                for m in queries.named_prescribers(org).select_related("organisation")
            ]
            self.fields["to_person"].choices = [("", "Personne en particulier")] + people
        else:
            del self.fields["to_person"]

    def clean_to_holder(self):
        pk = self.cleaned_data["to_holder"]
        if pk not in self.receivers:
            raise forms.ValidationError("Choisissez une organisation dans la liste.")
        return self.receivers[pk]

    def clean_from_holder(self):
        pk = self.cleaned_data["from_holder"]
        if pk not in self.receivers:
            raise forms.ValidationError("Choisissez une organisation dans la liste.")
        return self.receivers[pk]


class HandOutForm(forms.Form):
    serials = forms.CharField(
        label="Numéros de pass",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Les numéros à 10 chiffres, séparés par des espaces ou des retours à la ligne.",
    )
    booklet = forms.CharField(
        label="Ou : numéro du carnet",
        required=False,
        max_length=20,
        help_text="Par exemple C00001234 : les pass suivants de ce carnet sont remis.",
    )
    count = forms.IntegerField(
        label="Nombre de pass à remettre", required=False, min_value=1, max_value=10
    )
    beneficiary = forms.CharField(
        label="Référence du bénéficiaire (facultative)",
        required=False,
        max_length=11,
        help_text="Pour une personne déjà suivie, par exemple B-7K3M-9QX2. Sinon, une nouvelle "
        "référence est créée.",
    )


class CancelForm(forms.Form):
    reason = forms.ChoiceField(
        label="Motif", choices=[("", "— Choisissez —"), *custody.CANCEL_REASONS]
    )
    details = forms.CharField(label="Précisions (facultatives)", required=False, max_length=200)
    serials = forms.CharField(
        label="Numéros de pass",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Les numéros à 10 chiffres, séparés par des espaces ou des retours à la ligne.",
    )
    booklets = forms.CharField(
        label="Ou : carnets entiers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=BOOKLETS_HELP,
    )

    def clean(self):
        data = super().clean()
        if not (data.get("serials", "").strip() or data.get("booklets", "").strip()):
            raise forms.ValidationError("Indiquez des numéros de pass ou des carnets.")
        return data

    def reason_text(self) -> str:
        label = dict(custody.CANCEL_REASONS)[self.cleaned_data["reason"]]
        details = self.cleaned_data["details"].strip()
        return f"{label} — {details}" if details else label


# --- Pages ----------------------------------------------------------------------------------


@login_required
def stock(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _holder(request, organisation_id, write=False)
    now = timezone.now()
    page = Paginator(queries.held_booklets(organisation), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    dormant = queries.dormant_booklets(organisation, now)
    is_funder = organisation.kind == Organisation.Kind.FUNDER
    orders = list(queries.funder_orders(organisation)) if is_funder else []
    today = timezone.localdate()
    return render(
        request,
        "ledger/custody/stock.html",
        {
            "membership": membership,
            "organisation": organisation,
            "lines": queries.stock_by_order(organisation),
            "page": page,
            "booklets": queries.decorate(page.object_list, now),
            "dormant_count": dormant.count(),
            "dormant": queries.decorate(dormant[:20], now),
            "dormant_days": queries.dormant_days(),
            "receipts": queries.pending_receipts(organisation),
            "sent": queries.pending_sent(organisation),
            "below": list(queries.holders_below(organisation)[:200]),
            "orders": [(order, custody.validity_steps(order, today)) for order in orders],
            "recent": queries.recent_transfers(organisation)[:10],
            "is_funder": is_funder,
            "is_prescriber": organisation.kind == Organisation.Kind.PRESCRIBER,
            "can_allocate": organisation.kind != Organisation.Kind.PRESCRIBER,
            "can_return": organisation.kind != Organisation.Kind.FUNDER,
        },
    )


def _transfer(request: HttpRequest, organisation_id: int, kind: str) -> HttpResponse:
    membership, organisation = _holder(request, organisation_id, write=True)
    if kind == TransferKind.REALLOCATION and organisation.kind != Organisation.Kind.FUNDER:
        raise Http404("Seul le commanditaire réalloue des carnets.")
    form = TransferForm(request.POST or None, holder=organisation, kind=kind)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        from_holder = data.get("from_holder") or organisation
        to_person = None
        if data.get("to_person"):
            to_person = User.objects.filter(pk=data["to_person"]).first()
        try:
            booklets = custody.select_booklets(from_holder, data["booklets"])
            transfer = custody.transfer_booklets(
                booklets,
                data["to_holder"],
                by=request.user,
                from_holder=from_holder,
                to_person=to_person,
                kind=kind,
                note=data["note"],
                request=request,
            )
        except custody.CustodyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"{transfer.booklet_count} carnet(s) remis à {transfer.to_holder} : "
                "en attente de son accusé de réception.",
            )
            return redirect("ledger:stock", organisation.pk)
    return render(
        request,
        "ledger/custody/transfer.html",
        {
            "membership": membership,
            "organisation": organisation,
            "form": form,
            "kind": kind,
            "title": TRANSFER_TITLES[kind],
            "here": TRANSFER_TITLES[kind],
        },
    )


@login_required
def transfer(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _transfer(request, organisation_id, TransferKind.ALLOCATION)


@login_required
def give_back(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _transfer(request, organisation_id, TransferKind.RETURN)


@login_required
def reallocate(request: HttpRequest, organisation_id: int) -> HttpResponse:
    return _transfer(request, organisation_id, TransferKind.REALLOCATION)


@login_required
@require_POST
def acknowledge(request: HttpRequest, organisation_id: int, transfer_id: int) -> HttpResponse:
    _, organisation = _holder(request, organisation_id, write=True)
    pending = get_object_or_404(Transfer, pk=transfer_id, to_holder=organisation)
    try:
        custody.acknowledge_transfer(pending, by=request.user, request=request)
    except custody.CustodyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Réception de {pending.booklet_count} carnet(s) de {pending.from_holder} confirmée.",
        )
    return redirect("ledger:stock", organisation.pk)


@login_required
def hand_out(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _holder(request, organisation_id, write=True)
    if organisation.kind != Organisation.Kind.PRESCRIBER:
        raise Http404("Seule une structure prescriptrice remet des pass aux bénéficiaires.")
    initial = {
        "booklet": request.GET.get("carnet", "")[:20],
        "beneficiary": request.GET.get("beneficiaire", "")[:20],
    }
    form = HandOutForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            beneficiary = None
            if data["beneficiary"].strip():
                beneficiary = Beneficiary.objects.filter(
                    reference=data["beneficiary"].strip().upper(), prescriber=organisation
                ).first()
                if beneficiary is None:
                    raise custody.CustodyError(
                        f"Aucun bénéficiaire de référence « {data['beneficiary']} » n'est suivi "
                        f"par {organisation}."
                    )
            passes = custody.select_passes(
                organisation,
                serials=data["serials"],
                booklet_serial=data["booklet"],
                count=data["count"],
            )
            beneficiary = custody.hand_out(
                passes,
                prescriber=organisation,
                by=request.user,
                beneficiary=beneficiary,
                request=request,
            )
        except custody.CustodyError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "ledger/custody/hand_out_done.html",
                {
                    "membership": membership,
                    "organisation": organisation,
                    "beneficiary": beneficiary,
                    "passes": [codes.format_serial(p.serial) for p in passes],
                    "here": "Pass remis",
                },
            )
    return render(
        request,
        "ledger/custody/hand_out.html",
        {
            "membership": membership,
            "organisation": organisation,
            "form": form,
            "booklets": queries.decorate(
                queries.held_booklets(organisation).filter(pending_transfer__isnull=True)[:50]
            ),
            "here": "Remettre des pass",
        },
    )


@login_required
def cancel(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _holder(request, organisation_id, write=True)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["serials"].strip():
                numbers = [
                    _pass_number(token) for token in data["serials"].replace(",", " ").split()
                ]
                passes = list(Pass.objects.filter(number__in=numbers))
                found = {p.number for p in passes}
                missing = [codes.pass_serial(n) for n in numbers if n not in found]
                if missing:
                    raise custody.CustodyError(f"Pass inconnu(s) : {', '.join(missing[:5])}.")
                count = custody.cancel_passes(
                    passes,
                    by=request.user,
                    organisation=organisation,
                    reason=form.reason_text(),
                    request=request,
                )
            else:
                if organisation.kind == Organisation.Kind.FUNDER:
                    numbers = custody.parse_booklet_spec(data["booklets"])
                    booklets = list(
                        Booklet.objects.filter(number__in=numbers, order__funder=organisation)
                    )
                    if len(booklets) != len(numbers):
                        raise custody.CustodyError(
                            f"Certains carnets n'appartiennent pas aux commandes de {organisation}."
                        )
                else:
                    booklets = custody.select_booklets(organisation, data["booklets"])
                count = custody.cancel_booklets(
                    booklets,
                    by=request.user,
                    organisation=organisation,
                    reason=form.reason_text(),
                    request=request,
                )
        except custody.CustodyError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{count} pass annulé(s) : {form.reason_text()}.")
            return redirect("ledger:stock", organisation.pk)
    return render(
        request,
        "ledger/custody/cancel.html",
        {
            "membership": membership,
            "organisation": organisation,
            "form": form,
            "here": "Annuler des pass",
        },
    )


def _pass_number(token: str) -> int:
    try:
        return codes.parse_pass_serial(token)
    except codes.SerialError as exc:
        raise custody.CustodyError(f"« {token} » : {exc}", code="bad_serial") from exc


urlpatterns = [
    path("stock/<int:organisation_id>/", stock, name="stock"),
    path("stock/<int:organisation_id>/remise/", transfer, name="transfer"),
    path("stock/<int:organisation_id>/retour/", give_back, name="return"),
    path("stock/<int:organisation_id>/reallocation/", reallocate, name="reallocate"),
    path(
        "stock/<int:organisation_id>/receptions/<int:transfer_id>/",
        acknowledge,
        name="acknowledge",
    ),
    path("stock/<int:organisation_id>/remise-beneficiaire/", hand_out, name="hand_out"),
    path("stock/<int:organisation_id>/annulation/", cancel, name="cancel"),
]
