import re

from django.db.models import Prefetch, Q, QuerySet

from .models import Commune, Intercommunality

GRAND_PARIS_EPCI = "200054781"


def search_communes(query: str = "", department: str = "") -> QuerySet[Commune]:
    """Communes and arrondissements matching a name, an INSEE code or a postal code.

    Digits (2 to 5) match the start of an INSEE code or of a postal code ("933" finds 93300);
    "2A004" is an INSEE code; anything else matches names word by word ("saint denis" finds
    Saint-Denis).
    """
    qs = Commune.objects.select_related("epci", "ept", "parent", "parent__epci")
    query = query.strip()
    if re.fullmatch(r"[0-9]{2,5}", query):
        # Postal codes are stored as a JSON list of strings: '["93300"]'. Anchoring on the
        # opening quote matches the start of a code, on SQLite and PostgreSQL alike.
        qs = qs.filter(Q(insee_code__startswith=query) | Q(postal_codes__icontains=f'"{query}'))
    elif re.fullmatch(r"[0-9][0-9AB][0-9]{3}", query.upper()):
        qs = qs.filter(insee_code=query.upper())
    elif query:
        for word in re.split(r"[\s\-']+", query):
            if word:
                qs = qs.filter(name__icontains=word)
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
    """The territories of the Métropole du Grand Paris: Paris and the EPTs, with their communes.

    A member commune in no EPT (Paris) is a territory of its own; every other member belongs to
    exactly one EPT. Communes are sorted by INSEE code.
    """
    territories = []
    alone = Commune.objects.filter(epci_id=epci_code, ept__isnull=True, kind=Commune.Kind.COMMUNE)
    for commune in alone.order_by("insee_code"):
        territories.append(
            {"code": commune.insee_code, "name": commune.name, "communes": [commune]}
        )
    epts = (
        Intercommunality.objects.filter(
            kind=Intercommunality.Kind.EPT, ept_communes__epci_id=epci_code
        )
        .distinct()
        .order_by("name")
        .prefetch_related(
            Prefetch(
                "ept_communes",
                queryset=Commune.objects.filter(epci_id=epci_code).order_by("insee_code"),
            )
        )
    )
    for ept in epts:
        territories.append(
            {"code": ept.code, "name": ept.name, "communes": list(ept.ept_communes.all())}
        )
    return territories
