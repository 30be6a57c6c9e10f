"""Serials and secret codes of passes.

- A serial is a number with a Luhn check digit (typo detection, not security): pass serials have
  10 digits (9 + check), booklet serials are « C » + 8 digits (7 + check).
- A pass's secret code is derived by HMAC-SHA256 from a key that lives outside the database
  (settings.PASS_CODE_KEYS, the order stores only the key id): 50 bits, written as 10 Crockford
  base32 characters. The code is never stored, so a database dump alone can neither forge nor use
  a pass.
"""

import hashlib
import hmac
import re

from django.conf import settings
from stdnum import luhn

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10  # 10 × 5 bits = 50 bits
QR_VERSION = "p"  # the path segment of the versioned URL: /p/<serial>.<code>
_DECODE = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})

PASS_SERIAL_RE = re.compile(r"^[0-9]{10}$")
BOOKLET_SERIAL_RE = re.compile(r"^C[0-9]{8}$")


class SerialError(ValueError):
    """The serial is malformed or its check digit is wrong; the message is for users."""


def pass_serial(number: int) -> str:
    base = f"{number:09d}"
    return base + luhn.calc_check_digit(base)


def booklet_serial(number: int) -> str:
    base = f"{number:07d}"
    return "C" + base + luhn.calc_check_digit(base)


def clean_serial(raw: str) -> str:
    return re.sub(r"[\s.\-]", "", raw or "").upper()


def parse_pass_serial(raw: str) -> int:
    """The pass number of a typed or scanned serial, or SerialError with a French message."""
    serial = clean_serial(raw)
    if not PASS_SERIAL_RE.match(serial):
        raise SerialError("Numéro de pass mal formé : il compte 10 chiffres.")
    if not luhn.is_valid(serial):
        raise SerialError(
            "Numéro de pass erroné : le dernier chiffre (contrôle) ne correspond pas."
        )
    return int(serial[:-1])


def parse_booklet_serial(raw: str) -> int:
    serial = clean_serial(raw)
    if not BOOKLET_SERIAL_RE.match(serial):
        raise SerialError("Numéro de carnet mal formé : « C » suivi de 8 chiffres.")
    if not luhn.is_valid(serial[1:]):
        raise SerialError(
            "Numéro de carnet erroné : le dernier chiffre (contrôle) ne correspond pas."
        )
    return int(serial[1:-1])


def _key(key_id: str) -> bytes:
    try:
        return settings.PASS_CODE_KEYS[key_id].encode()
    except KeyError as exc:  # a key was removed while passes still use it
        raise RuntimeError(f"Clé de codes de pass inconnue : {key_id}") from exc


def pass_code(key_id: str, serial: str) -> str:
    digest = hmac.new(_key(key_id), f"passnum:v1:{serial}".encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:8], "big") >> (64 - 5 * CODE_LENGTH)
    chars = []
    for _ in range(CODE_LENGTH):
        chars.append(CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def normalise_code(raw: str) -> str:
    """Crockford decoding: case-insensitive, hyphens and spaces ignored, I/L→1, O→0."""
    return re.sub(r"[\s\-]", "", raw or "").upper().translate(_DECODE)


def code_matches(key_id: str, serial: str, raw_code: str) -> bool:
    return hmac.compare_digest(pass_code(key_id, serial), normalise_code(raw_code))


def format_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def format_serial(serial: str) -> str:
    return f"{serial[:5]} {serial[5:]}" if len(serial) == 10 else serial


def qr_payload(serial: str, code: str) -> str:
    return f"{settings.SITE_URL}/{QR_VERSION}/{serial}.{code}"
