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


LOGO_MAX_BYTES = 500 * 1024
LOGO_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}


def logo_content_type(head: bytes) -> str | None:
    for signature, content_type in LOGO_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def validate_logo(file) -> None:
    """A logo is a PNG, JPEG or WebP image (checked on its content, not its name), ≤ 500 Ko."""
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(
            f"Le logo pèse {file.size // 1024} Ko : 500 Ko au plus.", code="logo_too_large"
        )
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(16)
    file.seek(position)
    if logo_content_type(head) is None:
        raise ValidationError(
            "Le logo doit être une image PNG, JPEG ou WebP.", code="logo_bad_type"
        )
