"""The letter stays on one page in large type, even with long place descriptions."""

import io
import re
from types import SimpleNamespace

from pypdf import PdfReader

from orientation.letter import BODY_SIZE, MIN_PLACES, LetterContent, render_letter


def long_places(count: int) -> list:
    commune = SimpleNamespace(name="Aubervilliers")
    return [
        SimpleNamespace(
            name=f"Lieu numéro {i} de médiation numérique",
            address="12 avenue de la République",
            address_complement="Bâtiment B, 2e étage",
            postal_code="93300",
            commune=commune,
            opening_hours="Mo-Fr 09:30-12:30,14:00-18:00; Sa 10:00-12:00",
            phone="01 02 03 04 05",
            access_modalities=["Se présenter", "Téléphoner"],
            appointment_url="https://rdv.exemple.fr/lieu",
        )
        for i in range(count)
    ]


def test_long_letter_keeps_large_type_on_one_page():
    commune = SimpleNamespace(name="Aubervilliers")
    prescriber = SimpleNamespace(
        name="CCAS d'Aubervilliers",
        address="6 rue Charron",
        commune_id="93001",
        commune=commune,
        phone="01 48 39 50 00",
        email="ccas@exemple.fr",
    )
    pdf = render_letter(
        LetterContent(
            beneficiary=SimpleNamespace(reference="B-AAAA-BBBB"),
            prescriber=prescriber,
            unused_passes=5,
            valid_until=None,
            places=long_places(5),
        )
    )
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    stream = reader.pages[0].get_contents().get_data().decode("latin-1")
    sizes = {float(s) for s in re.findall(r"/F\d+ ([\d.]+) Tf [\d.]+ TL \(", stream)}
    assert sizes and min(sizes) >= BODY_SIZE >= 14
    scaled = [
        line
        for line in stream.splitlines()
        if line.endswith(" cm") and not line.startswith("1 0 0 1")
    ]
    assert scaled == []  # never shrunk
    text = reader.pages[0].extract_text()
    listed = sum(f"Lieu numéro {i} " in text for i in range(5))
    assert MIN_PLACES <= listed <= 5
