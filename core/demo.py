"""The Grand Paris demo: a realistic programme with one account per role.

Only `manage.py demo` creates demo accounts. Running it again updates the same rows.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from accounts.models import User
from geo.models import Commune
from geo.queries import GRAND_PARIS_EPCI, members_of_epci
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme, Territory

DEMO_PASSWORD = "demo-Passnum-2021"
EMAIL_DOMAIN = "passnum.example"

Kind = Organisation.Kind
Legal = Organisation.LegalCategory

# The 16 first experimentation territories of the seed (INSEE code, organisation name,
# carnets allocated in the demo).
PILOT_TERRITORIES = [
    ("93001", "Ville d'Aubervilliers", 700),
    ("94016", "Ville de Cachan", 400),
    ("92025", "Ville de Colombes", 650),
    ("94028", "Ville de Créteil", 700),
    ("93029", "Ville de Drancy", 600),
    ("94043", "Ville du Kremlin-Bicêtre", 350),
    ("92049", "Ville de Montrouge", 400),
    ("92050", "Ville de Nanterre", 700),
    ("93049", "Ville de Neuilly-Plaisance", 300),
    ("75113", "Mairie du 13e arrondissement de Paris", 800),
    ("75115", "Mairie du 15e arrondissement de Paris", 800),
    ("92062", "Ville de Puteaux", 400),
    ("92063", "Ville de Rueil-Malmaison", 500),
    ("93066", "Ville de Saint-Denis", 900),
    ("94068", "Ville de Saint-Maur-des-Fossés", 500),
    ("94080", "Ville de Vincennes", 350),
]

# Invented names: plausible, and fictitious (« démo » marks them in the interface).
PRESCRIBER_NAMES = [
    ("CCAS {de_city}", Legal.PUBLIC),
    ("Centre social Les Passerelles — {city}", Legal.ASSOCIATION),
]
OPERATOR_NAMES = [
    ("Association Clic Solidaire {city}", Legal.ASSOCIATION),
    ("La Fabrique du Lien numérique — {city}", Legal.ASSOCIATION),
]


@dataclass
class DemoLogin:
    role: str
    organisation: str
    email: str
    password: str = DEMO_PASSWORD


def _org(name: str, kind: str, **fields) -> Organisation:
    org, _ = Organisation.objects.update_or_create(name=name, kind=kind, defaults=fields)
    return org


def _user(email: str, first_name: str, last_name: str, **extra) -> User:
    user = User.objects.filter(email=email).first() or User(email=email)
    user.first_name, user.last_name = first_name, last_name
    for key, value in extra.items():
        setattr(user, key, value)
    user.is_active = True
    user.set_password(DEMO_PASSWORD)
    user.save()
    return user


def _member(user: User, org: Organisation, role: str) -> None:
    Membership.objects.update_or_create(
        user=user,
        organisation=org,
        defaults={"role": role, "is_active": True, "deactivated_at": None},
    )


def _de(city: str) -> str:
    """French « de » with elision and contraction: d'Aubervilliers, du Kremlin-Bicêtre."""
    if city.startswith("Le "):
        return "du " + city[3:]
    if city.startswith("Les "):
        return "des " + city[4:]
    if city[:1].lower() in "aeiouyhéèêîô":
        return "d'" + city
    return "de " + city


def _city_label(commune: Commune) -> str:
    if commune.kind == Commune.Kind.ARRONDISSEMENT:
        return f"Paris {commune.insee_code[-2:].lstrip('0')}e"
    return commune.name


class DemoError(Exception):
    pass


@transaction.atomic
def load_demo() -> list[DemoLogin]:
    communes = {
        c.insee_code: c
        for c in Commune.objects.filter(
            insee_code__in=[code for code, _, _ in PILOT_TERRITORIES] + ["75056"]
        )
    }
    missing = sorted({code for code, _, _ in PILOT_TERRITORIES} - communes.keys())
    if missing:
        raise DemoError(
            "Le référentiel des communes est incomplet (codes manquants : "
            f"{', '.join(missing)}). Lancez d'abord « manage.py import_communes »."
        )
    paris = communes["75056"]

    metropole = _org(
        "Métropole du Grand Paris",
        Kind.FUNDER,
        legal_category=Legal.PUBLIC,
        address="15-19 avenue Pierre Mendès-France",
        postal_code="75013",
        city="Paris",
        commune=communes["75113"],
        email="innonum@metropolegrandparis.fr",
        brand_colour="#0b5394",
    )
    hub = _org(
        "Hub Francil'IN",
        Kind.HUB,
        legal_category=Legal.ASSOCIATION,
        city="Paris",
        commune=paris,
    )
    issuer = _org(
        "Coopérative Pass Émission (démo)",
        Kind.ISSUER,
        legal_category=Legal.COMPANY,
        address="12 rue de l'Exemple",
        postal_code="75011",
        city="Paris",
        commune=Commune.objects.filter(insee_code="75111").first() or paris,
    )

    programme, _ = Programme.objects.update_or_create(
        funder=metropole,
        name="Pass numérique Grand Paris 2021",
        defaults={
            "issuer": issuer,
            "hub": hub,
            "starts_on": date(2021, 1, 1),
            "ends_on": date(2022, 12, 31),
            "pic_rule": Programme.PicRule.BELOW_BAC,
            "pic_target_percent": 50,
            "payment_mode": Programme.PaymentMode.ISSUER,
        },
    )
    programme.perimeter.set(members_of_epci(GRAND_PARIS_EPCI, include_arrondissements=True))

    municipalities, prescribers, operators = {}, {}, {}
    for code, name, booklets in PILOT_TERRITORIES:
        commune = communes[code]
        city = _city_label(commune)
        postal = commune.postal_codes[0] if commune.postal_codes else ""
        municipality = _org(
            name,
            Kind.MUNICIPALITY,
            legal_category=Legal.PUBLIC,
            commune=commune,
            postal_code=postal,
            city=city,
            parent=metropole,
        )
        municipalities[code] = municipality
        Territory.objects.update_or_create(
            programme=programme,
            commune=commune,
            defaults={
                "municipality": municipality,
                "booklets_allocated": booklets,
                "joined_on": date(2021, 3, 1),
                "is_pilot": True,
            },
        )
        for pattern, legal in PRESCRIBER_NAMES:
            org = _org(
                pattern.format(city=city, de_city=_de(city)),
                Kind.PRESCRIBER,
                legal_category=legal,
                commune=commune,
                postal_code=postal,
                city=city,
                parent=municipality,
            )
            prescribers.setdefault(code, []).append(org)
        for pattern, legal in OPERATOR_NAMES:
            org = _org(
                pattern.format(city=city, de_city=_de(city)),
                Kind.OPERATOR,
                legal_category=legal,
                commune=commune,
                postal_code=postal,
                city=city,
            )
            operators.setdefault(code, []).append(org)

    logins: list[DemoLogin] = []

    def account(role_label, org, email, first, last, role=Role.ADMIN, **extra):
        user = _user(f"{email}@{EMAIL_DOMAIN}", first, last, **extra)
        if org is not None:
            _member(user, org, role)
        logins.append(DemoLogin(role_label, org.name if org else "Plateforme", user.email))
        return user

    account(
        "Équipe plateforme (administration)",
        None,
        "admin",
        "Alex",
        "Plateforme",
        is_staff=True,
        is_superuser=True,
    )
    account("Commanditaire", metropole, "metropole", "Camille", "Métropole")
    account("Hub territorial", hub, "hub", "Hugo", "Francilin")
    account("Émetteur", issuer, "emetteur", "Inès", "Émission")
    account(
        "Collectivité (référente)",
        municipalities["93001"],
        "referente.aubervilliers",
        "Rachida",
        "Référente",
    )
    account(
        "Prescripteur",
        prescribers["93001"][0],
        "prescripteur.aubervilliers",
        "Paul",
        "Prescripteur",
        role=Role.MEMBER,
    )
    account(
        "Opérateur (médiatrice)",
        operators["93001"][0],
        "mediatrice.aubervilliers",
        "Maya",
        "Médiatrice",
        role=Role.MEMBER,
    )
    multi = account(
        "Prescripteur dans deux structures",
        prescribers["75113"][1],
        "coordinatrice.paris13",
        "Sofia",
        "Coordinatrice",
    )
    _member(multi, prescribers["75115"][1], Role.MEMBER)
    account(
        "Lecture seule (élu)",
        municipalities["75115"],
        "elu.paris15",
        "Éric",
        "Élu",
        role=Role.READONLY,
    )

    # Every other demo structure gets its own administrator, so no workspace is orphaned.
    for code, _name, _ in PILOT_TERRITORIES:
        for org in [municipalities[code], *prescribers[code], *operators[code]]:
            if not Membership.objects.filter(organisation=org, role=Role.ADMIN).exists():
                slug = f"admin.{org.kind.lower()}.{org.pk}"
                user = _user(f"{slug}@{EMAIL_DOMAIN}", "Administrateur", org.name[:150])
                _member(user, org, Role.ADMIN)

    record(
        JournalEntry.Action.DEMO_LOADED,
        organisation=metropole,
        obj=programme,
        details={"territories": len(PILOT_TERRITORIES), "accounts": len(logins)},
    )
    return logins
