from django.db.models import Q, QuerySet

from .models import Commune, Intercommunality

GRAND_PARIS_EPCI = "200054781"


def search_communes(query: str = "", department: str = "") -> QuerySet[Commune]:
    qs = Commune.objects.select_related("epci", "ept", "parent")
    query = query.strip()
    if query:
        if query.isdigit() and len(query) == 5:
            qs = qs.filter(Q(insee_code=query) | Q(postal_codes__icontains=query))
        else:
            qs = qs.filter(name__icontains=query)
    if department:
        qs = qs.filter(department=department)
    return qs.order_by("name", "insee_code")


def members_of_epci(epci_code: str, include_arrondissements: bool = False) -> QuerySet[Commune]:
    """Communes of an EPCI; with include_arrondissements, a member commune's arrondissements too."""
    direct = Q(epci_id=epci_code)
    if include_arrondissements:
        direct |= Q(parent__epci_id=epci_code)
    return Commune.objects.filter(direct).order_by("insee_code")


def territories_of_metropole(epci_code: str = GRAND_PARIS_EPCI) -> list[dict]:
    """The territories of the Métropole du Grand Paris: Paris and the EPTs, with their communes."""
    territories = []
    for commune in Commune.objects.filter(epci_id=epci_code, ept__isnull=True, kind="COMMUNE"):
        territories.append({"code": commune.insee_code, "name": commune.name, "communes": [commune]})
    for ept in Intercommunality.objects.filter(kind="EPT", ept_communes__epci_id=epci_code).distinct():
        territories.append(
            {"code": ept.code, "name": ept.name, "communes": list(ept.ept_communes.all())}
        )
    return territories
