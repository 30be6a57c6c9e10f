from django.core.exceptions import ValidationError
from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.fr import siret


def normalise_siret(value: str) -> str:
    return "".join(ch for ch in (value or "") if ch.isdigit() or ch.isalpha())


def validate_siret(value: str) -> None:
    """Check a SIRET number (14 digits, Luhn key; La Poste's special rule included)."""
    compact = normalise_siret(value)
    try:
        siret.validate(compact)
    except StdnumValidationError as exc:
        if not compact.isdigit():
            message = "Le SIRET ne doit contenir que des chiffres."
        elif len(compact) != 14:
            message = f"Le SIRET doit compter 14 chiffres (et non {len(compact)})."
        else:
            message = "Ce SIRET n'est pas valide : la clé de contrôle ne correspond pas."
        raise ValidationError(message, code="invalid_siret") from exc
