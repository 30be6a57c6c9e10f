"""Builders (no tests) for the beneficiaries tests."""

from geo.models import Commune, Qpv
from ledger.tests import factories

ANSWERS = {
    "device": "1",
    "connection": "1",
    "use_device": "1",
    "email": "1",
    "attachment": "1",
    "search": "1",
    "procedures": "1",
    "security": "1",
    "goals": [],
    "time": "some",
}


def commune() -> Commune:
    return factories.commune()


def qpv(commune: Commune, code: str = "QN09301M") -> Qpv:
    obj, _ = Qpv.objects.get_or_create(code=code, defaults={"name": "Quartier du Marcreux"})
    obj.communes.add(commune)
    return obj


def record(**extra) -> dict:
    data = {
        "programme": None,
        "age_band": "vingt_cinq_trente_neuf",
        "gender": "non_communique",
        "social_status": "sans_emploi",
        "diploma_level": "non_communique",
        "job_seeker": False,
        "job_seeker_since": None,
        "commune": None,
        "lives_in_qpv": "inconnu",
        "qpv": None,
        "contact_consent": False,
        "phone": "",
        "email": "",
        "notes": "",
    }
    data.update(extra)
    return data
