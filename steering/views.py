"""Steering pages: the funder's programme dashboard, the municipality's and the hub's, the
public statistics, and their CSV/XLSX exports. Every page reads the rollup (queries.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.exports import FORMATS, table_response
from jobs.services import JobAlreadyActive
from organisations.models import Organisation, Role
from organisations.queries import get_membership_or_404
from programmes.models import Programme

from . import charts, maps, queries, report, services
from .models import Metric

Kind = Organisation.Kind


def _charts(dashboard: queries.Dashboard) -> dict:
    total = dashboard.total
    territories = [line for line in dashboard.lines if line.territory is not None]
    funnel = [
        ("Commandés", dashboard.ordered),
        ("Alloués aux territoires", sum(line.allocated for line in territories)),
        ("Remis aux bénéficiaires", total.distributed),
        ("Utilisés", total.redeemed),
        ("Remboursés", total.reimbursed if dashboard.reimbursed_available else None),
    ]
    return {
        "funnel": charts.bar_chart("chart-funnel", "Entonnoir des pass", funnel),
        "months": charts.month_chart(
            "chart-months",
            "Pass remis et utilisés par mois",
            [
                (label, line.distributed, line.redeemed)
                for label, line in ((m.label, m) for _, m in dashboard.months)
            ],
            ("Remis", "Utilisés"),
        ),
        "pic": charts.bar_chart(
            "chart-pic",
            "Part des pass remis à des publics PIC, par territoire",
            [(line.label, line.pic_share) for line in territories],
            maximum=100,
            unit=" %",
            target=territories[0].pic_target if territories else 50,
            alert_below=territories[0].pic_target if territories else 50,
        ),
    }


MAP_SCOPES = {
    Kind.FUNDER: "Tous les territoires du programme, et les lieux où ses pass ont été utilisés.",
    Kind.MUNICIPALITY: (
        "Votre territoire, et les lieux où des pass de votre territoire ont été utilisés, avec "
        "ces seuls pass : les chiffres des autres territoires n'y figurent pas."
    ),
    Kind.HUB: (
        "Les territoires des programmes que vous accompagnez, et les lieux où leurs pass ont été "
        "utilisés."
    ),
}


def _context(dashboard: queries.Dashboard, scope: str = Kind.FUNDER, **extra) -> dict:
    return {
        "dashboard": dashboard,
        "tables": queries.tables(dashboard),
        "charts": _charts(dashboard),
        "Metric": Metric,
        "map_data": maps.map_data(dashboard),
        "map_scope": MAP_SCOPES[scope],
        "tile_url": settings.MAP_TILE_URL,
        "tile_attribution": settings.MAP_TILE_ATTRIBUTION,
        **extra,
    }


def _export(dashboard: queries.Dashboard, table: str, fmt: str, name: str) -> HttpResponse:
    tables = queries.tables(dashboard)
    if fmt not in FORMATS or table not in tables:
        raise Http404("Export introuvable.")
    chosen = tables[table]
    return table_response(
        fmt, f"{name}-{chosen.slug}", chosen.header, chosen.rows, sheet_title=chosen.title
    )


def _organisation(request: HttpRequest, organisation_id: int, kind: str):
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind != kind:
        raise Http404(queries.NOT_FOUND)
    return membership, organisation


# --- Entry point from the workspace ---------------------------------------------------------


@login_required
def home(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind == Kind.MUNICIPALITY:
        return redirect("steering:municipality", organisation.pk)
    if organisation.kind == Kind.HUB:
        return redirect("steering:hub", organisation.pk)
    if organisation.kind in SLICES:
        return redirect("steering:slice", organisation.pk)
    if organisation.kind != Kind.FUNDER:
        raise Http404(queries.NOT_FOUND)
    return render(
        request,
        "steering/funder_home.html",
        {
            "organisation": organisation,
            "membership": membership,
            "programmes": queries.funder_programmes(organisation).select_related(
                "steering_refresh"
            ),
        },
    )


# --- Funder ----------------------------------------------------------------------------------


@login_required
def programme(request: HttpRequest, programme_id: int) -> HttpResponse:
    prog, membership = queries.programme_for_funder_or_404(request.user, programme_id)
    dashboard = queries.build_dashboard([prog])
    return render(
        request,
        "steering/programme.html",
        _context(
            dashboard,
            programme=prog,
            organisation=prog.funder,
            membership=membership,
            can_reallocate=membership.role in (Role.ADMIN, Role.MEMBER),
            export_url="steering:programme_export",
            export_key=prog.pk,
        ),
    )


@login_required
def programme_export(request: HttpRequest, programme_id: int, table: str, fmt: str):
    prog, _ = queries.programme_for_funder_or_404(request.user, programme_id)
    return _export(queries.build_dashboard([prog]), table, fmt, f"programme-{prog.pk}")


@login_required
@require_POST
def programme_refresh(request: HttpRequest, programme_id: int) -> HttpResponse:
    prog, _ = queries.programme_for_funder_or_404(request.user, programme_id)
    get_membership_or_404(request.user, prog.funder_id, roles=[Role.ADMIN, Role.MEMBER])
    try:
        job = services.request_refresh(prog, by=request.user, request=request)
    except JobAlreadyActive as exc:
        job = exc.job
        messages.info(request, "Une mise à jour des chiffres est déjà en cours.")
    else:
        messages.success(request, "La mise à jour des chiffres est lancée.")
    return redirect("jobs:detail", job.pk)


# --- Municipality --------------------------------------------------------------------------


def _municipality_dashboard(organisation: Organisation) -> queries.Dashboard | None:
    territories = list(queries.municipality_territories(organisation))
    if not territories:
        return None
    programmes = list({t.programme_id: t.programme for t in territories}.values())
    return queries.build_dashboard(programmes, territories=territories)


@login_required
def municipality(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _organisation(request, organisation_id, Kind.MUNICIPALITY)
    dashboard = _municipality_dashboard(organisation)
    context = {"organisation": organisation, "membership": membership}
    if dashboard is not None:
        context.update(
            _context(
                dashboard,
                scope=Kind.MUNICIPALITY,
                export_url="steering:municipality_export",
                export_key=organisation.pk,
            )
        )
    return render(request, "steering/municipality.html", context)


@login_required
def municipality_export(request: HttpRequest, organisation_id: int, table: str, fmt: str):
    _, organisation = _organisation(request, organisation_id, Kind.MUNICIPALITY)
    dashboard = _municipality_dashboard(organisation)
    if dashboard is None:
        raise Http404("Export introuvable.")
    return _export(dashboard, table, fmt, f"collectivite-{organisation.pk}")


# --- Hub -------------------------------------------------------------------------------------


def _hub_dashboard(organisation: Organisation) -> queries.Dashboard | None:
    programmes = list(queries.hub_programmes(organisation))
    if not programmes:
        return None
    return queries.build_dashboard(programmes)


@login_required
def hub(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation = _organisation(request, organisation_id, Kind.HUB)
    dashboard = _hub_dashboard(organisation)
    context = {"organisation": organisation, "membership": membership}
    if dashboard is not None:
        context.update(
            _context(
                dashboard,
                scope=Kind.HUB,
                export_url="steering:hub_export",
                export_key=organisation.pk,
            )
        )
    return render(request, "steering/hub.html", context)


@login_required
def hub_export(request: HttpRequest, organisation_id: int, table: str, fmt: str):
    _, organisation = _organisation(request, organisation_id, Kind.HUB)
    dashboard = _hub_dashboard(organisation)
    if dashboard is None:
        raise Http404("Export introuvable.")
    return _export(dashboard, table, fmt, f"hub-{organisation.pk}")


# --- Evaluation report of a territory -------------------------------------------------------


@login_required
def territory_report(request: HttpRequest, territory_id: int) -> HttpResponse:
    """« Rapport d'évaluation du territoire » (PDF), for the programme's funder, the
    territory's municipality and the programme's hub."""
    territory = queries.territory_for_user_or_404(request.user, territory_id)
    response = HttpResponse(report.territory_report(territory), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename(territory)}"'
    return response


# --- Prescriber and operator slices -----------------------------------------------------------


def _prescriber_table(organisation: Organisation) -> queries.Table:
    lines = queries.prescriber_lines(organisation)
    return queries.Table(
        "remises",
        "Pass remis et utilisés, par programme",
        [
            "Programme",
            "Pass en stock",
            "Remis",
            "Utilisés",
            "Taux d'utilisation (%)",
            "Part PIC (%)",
            "Part QPV (%)",
            "Délai médian (jours)",
        ],
        [
            [
                line.label,
                line.counts[Metric.NOW_IN_STOCK],
                line.distributed,
                line.redeemed,
                line.use_rate,
                line.pic_share,
                line.qpv_share,
                line.median_delay,
            ]
            for line in lines
        ],
    )


def _operator_table(organisation: Organisation) -> queries.Table:
    return queries.Table(
        "encaissements",
        "Pass acceptés par lieu et par mois",
        ["Mois", "Lieu", "Pass utilisés", "Dont remboursés"],
        queries.operator_rows(organisation),
    )


SLICES = {
    Kind.PRESCRIBER: ("Mes chiffres de distribution", _prescriber_table),
    Kind.OPERATOR: ("Mes chiffres d'encaissement", _operator_table),
}


def _slice(request: HttpRequest, organisation_id: int):
    membership = get_membership_or_404(request.user, organisation_id)
    organisation = membership.organisation
    if organisation.kind not in SLICES:
        raise Http404(queries.NOT_FOUND)
    title, build = SLICES[organisation.kind]
    return membership, organisation, title, build(organisation)


@login_required
def own_slice(request: HttpRequest, organisation_id: int) -> HttpResponse:
    membership, organisation, title, table = _slice(request, organisation_id)
    return render(
        request,
        "steering/slice.html",
        {
            "organisation": organisation,
            "membership": membership,
            "title": title,
            "table": table,
            "export_url": "steering:slice_export",
            "export_key": organisation.pk,
        },
    )


@login_required
def slice_export(request: HttpRequest, organisation_id: int, table: str, fmt: str):
    _, organisation, _, chosen = _slice(request, organisation_id)
    if fmt not in FORMATS or table != chosen.slug:
        raise Http404("Export introuvable.")
    return table_response(
        fmt, f"{chosen.slug}-{organisation.pk}", chosen.header, chosen.rows, chosen.title
    )


# --- Public ----------------------------------------------------------------------------------


def public(request: HttpRequest) -> HttpResponse:
    items = [(p, queries.public_table(p)) for p in queries.public_programmes()]
    return render(
        request, "steering/public.html", {"items": items, "small_count": queries.SMALL_COUNT}
    )


def public_export(request: HttpRequest, programme_id: int, fmt: str) -> HttpResponse:
    prog = queries.public_programmes().filter(pk=programme_id).first()
    if prog is None or fmt not in FORMATS:
        raise Http404("Export introuvable.")
    table = queries.public_table(prog)
    return table_response(
        fmt, f"statistiques-{prog.pk}", table.header, table.rows, sheet_title="Statistiques"
    )


__all__ = ["Programme"]
