"""Builders for ledger tests (plain functions). Every helper returns saved objects."""

from datetime import date

from geo.models import Commune
from ledger import services
from ledger.models import Order
from operators.models import OperatorProfile, Place, Qualification, Service
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user
from programmes.models import Programme


def commune(code: str = "93001", name: str = "Aubervilliers") -> Commune:
    obj, _ = Commune.objects.get_or_create(
        insee_code=code, defaults={"name": name, "department": code[:2]}
    )
    return obj


def programme(**extra) -> Programme:
    funder = make_org("Métropole du Grand Paris", kind=Organisation.Kind.FUNDER)
    issuer = make_org("Émetteur", kind=Organisation.Kind.ISSUER)
    prog = Programme.objects.create(
        funder=funder,
        issuer=issuer,
        name=extra.pop("name", "Pass numérique Grand Paris 2021"),
        starts_on=date(2021, 1, 1),
        ends_on=date(2022, 12, 31),
        **extra,
    )
    prog.perimeter.set([commune(), commune("93066", "Saint-Denis")])
    return prog


def order(
    prog: Programme | None = None,
    *,
    booklets: int = 2,
    status: str = "ACTIVATED",
    valid_until: date = date(2099, 12, 31),
    **extra,
) -> Order:
    """An order issued and, by default, activated (status may be DRAFT, CONFIRMED, ISSUED or
    ACTIVATED; ISSUED means confirmed and issued but not activated)."""
    prog = prog or programme()
    funder_admin = make_user()
    make_member(prog.funder, Role.ADMIN, user=funder_admin)
    obj = services.create_order(
        prog, by=funder_admin, booklet_count=booklets, valid_until=valid_until, **extra
    )
    if status == "DRAFT":
        return obj
    services.confirm_order(obj, by=funder_admin)
    if status == "CONFIRMED":
        return obj
    services.issue_order(obj.pk, by=funder_admin)
    if status == "ISSUED":
        obj.refresh_from_db()
        return obj
    return services.activate_order(obj, "MANDAT-2021-0042", by=funder_admin)


def operator(
    name: str = "Association Clic Solidaire",
    *,
    qualified: bool = True,
    place_commune: Commune | None = None,
    price_in_passes: int = 1,
):
    """An operator organisation with its profile, one place and one service."""
    org = make_org(
        name, kind=Organisation.Kind.OPERATOR, legal_category=Organisation.LegalCategory.ASSOCIATION
    )
    from django.utils import timezone

    OperatorProfile.objects.create(
        organisation=org,
        qualification=Qualification.QUALIFIED if qualified else Qualification.IN_REVIEW,
        decided_at=timezone.now() if qualified else None,
    )
    place = Place.objects.create(
        operator=org,
        name=f"Lieu {name}",
        address="1 rue de la Mairie",
        postal_code="93300",
        commune=place_commune or commune(),
        qualification=Qualification.QUALIFIED if qualified else Qualification.IN_REVIEW,
    )
    service = Service.objects.create(
        operator=org,
        title="Atelier démarches en ligne",
        theme=Service.Theme.AIDE_DEMARCHES,
        price_in_passes=price_in_passes,
    )
    return org, place, service
