"""The fast QR encoder of the printer's PDF gives exactly segno's modules."""

import random

import pytest
from django.test import override_settings

from ledger import codes, printing


def _rows(n: int, image: bytes) -> list[tuple[int, ...]]:
    row_bytes = (n + 7) // 8
    rows = []
    for r in range(n):
        bits = int.from_bytes(image[r * row_bytes : (r + 1) * row_bytes])
        width = row_bytes * 8
        rows.append(tuple((bits >> (width - 1 - c)) & 1 for c in range(n)))
    return rows


def _segno_rows(payload: str) -> list[tuple[int, ...]]:
    return [tuple(1 if v else 0 for v in row) for row in printing.qr_matrix(payload)]


@pytest.mark.parametrize(
    "site_url", ["http://127.0.0.1:8000", "https://pass.grandparis.example.fr"]
)
def test_affine_encoder_matches_segno(site_url):
    rng = random.Random(20211015)
    key_id = next(iter(printing.settings.PASS_CODE_KEYS))
    with override_settings(SITE_URL=site_url):
        for _ in range(60):
            serial = f"{rng.randrange(10**10):010d}"
            payload = codes.qr_payload(serial, codes.pass_code(key_id, serial))
            n, image = printing.qr_image(payload)
            assert _rows(n, image) == _segno_rows(payload), payload


def test_other_payloads_go_through_segno():
    for payload in ("HTTPS://EXEMPLE.FR/P/0000000018", "https://exemple.fr/é/1"):
        n, image = printing.qr_image(payload)
        assert _rows(n, image) == _segno_rows(payload)


def test_operators_draw_an_inline_image_mask():
    n, image = printing.qr_image("https://exemple.fr/p/0000000018.ABCDEFGHJK")
    ops = printing.qr_operators(image, n, 10, 20, n + 8)  # one point per module
    assert ops.startswith(f"q {n}.000 0 0 {n}.000 14.000 24.000 cm\nBI /W {n} /H {n} /IM true")
    assert f"ID\n{image.hex()}>\nEI Q" in ops
