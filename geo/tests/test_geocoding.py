"""The BAN geocoding client, ``locate_communes`` and ``manage.py geocode_communes``, on recorded
answers of the national address API (replayed through the client, and over real HTTP)."""

import io
import urllib.error
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from core.tests.recorded_http import replay as replay_body
from geo import geocoding
from geo.models import Commune
from geo.services import communes_without_centre, load_centres_csv, locate_communes
from ledger.tests import factories
from organisations.models import Organisation
from passnum.testing import make_org
from programmes.models import Territory

from .ban_api import address_api, recorded


def replay(name: str):
    return replay_body(recorded(name))


def test_municipality_found_with_its_centre():
    fetch = replay("municipality_aubervilliers.json")
    centre = geocoding.locate("93001", "Aubervilliers", fetch=fetch, base_url="https://ban.test/")
    assert fetch.calls == [
        (
            "https://ban.test/search/?q=Aubervilliers&type=municipality&citycode=93001&limit=1",
            geocoding.TIMEOUT_SECONDS,
        )
    ]
    # GeoJSON is [longitude, latitude].
    assert (centre.latitude, centre.longitude) == (Decimal("48.914554"), Decimal("2.383201"))
    assert centre.insee_code == "93001" and centre.name == "Aubervilliers"


def test_an_arrondissement_is_located_by_its_own_code():
    centre = geocoding.locate(
        "75113", "Paris 13e Arrondissement", fetch=replay("municipality_paris_13.json")
    )
    assert (centre.latitude, centre.longitude) == (Decimal("48.828816"), Decimal("2.362272"))


@pytest.mark.parametrize(
    "insee_code, name, answer",
    [
        ("93066", "Saint-Denis", "homonym_other_citycode.json"),  # a homonym elsewhere
        ("93029", "Drancy", "street_not_municipality.json"),  # a street, not the commune
        ("99999", "Nulle-Part", "empty.json"),
        ("93066", "Saint-Denis", "municipality_aubervilliers.json"),  # another code
    ],
)
def test_only_an_exact_municipality_match_is_taken(insee_code, name, answer):
    with pytest.raises(geocoding.GeocodingError, match=f"pas de commune .* {insee_code}"):
        geocoding.locate(insee_code, name, fetch=replay(answer))


@pytest.mark.parametrize(
    "payload",
    [
        b"<html>maintenance</html>",
        b'{"results": []}',
        b"\xff\xfe",
        b"[]",
        b'{"features": [{"type": "Feature", "geometry": {"coordinates": [2.3, 123]}, '
        b'"properties": {"type": "municipality", "citycode": "93001"}}]}',
    ],
)
def test_unreadable_answers_give_a_french_error(payload):
    with pytest.raises(geocoding.GeocodingError, match="service national d'adresses|pas de"):
        geocoding.locate("93001", "Aubervilliers", fetch=lambda url, timeout: payload)


def test_timeout_and_unreachable_service_give_french_errors():
    def timeout(url, t):
        raise TimeoutError

    def refused(url, t):
        raise urllib.error.URLError(ConnectionRefusedError())

    with pytest.raises(geocoding.GeocodingError, match="n'a pas répondu à temps"):
        geocoding.locate("93001", "Aubervilliers", fetch=timeout)
    with pytest.raises(geocoding.GeocodingError, match="injoignable"):
        geocoding.locate("93001", "Aubervilliers", fetch=refused)


def test_only_http_urls_are_fetched():
    with pytest.raises(geocoding.GeocodingError, match="invalide"):
        geocoding.locate("93001", "Aubervilliers", base_url="file:///etc")


def test_real_transport_over_http_replays_recorded_answers():
    with address_api() as server:
        centre = geocoding.locate("93001", "Aubervilliers", base_url=server.url)
        assert centre.latitude == Decimal("48.914554")
        assert server.requests == [
            "/search/?q=Aubervilliers&type=municipality&citycode=93001&limit=1"
        ]
        with pytest.raises(geocoding.GeocodingError, match="saturé"):
            geocoding.locate("94080", "Vincennes", base_url=server.url)
        with pytest.raises(geocoding.GeocodingError, match=r"erreur \(503\)"):
            geocoding.locate("94028", "Créteil", base_url=server.url)


# --- Writes and the command --------------------------------------------------------------------


@pytest.fixture
def territories(db):
    """A programme with territories in Aubervilliers, Saint-Denis and Créteil; Drancy and
    Vincennes are communes of no territory."""
    programme = factories.programme()
    for code, name in [("93001", "Aubervilliers"), ("93066", "Saint-Denis"), ("94028", "Créteil")]:
        Territory.objects.create(
            programme=programme,
            municipality=make_org(f"Ville de {name}", kind=Organisation.Kind.MUNICIPALITY),
            commune=factories.commune(code, name),
            joined_on=programme.starts_on,
        )
    factories.commune("93029", "Drancy")
    factories.commune("94080", "Vincennes")
    return programme


def _centres() -> dict:
    return {c.insee_code: (c.latitude, c.longitude) for c in Commune.objects.order_by("insee_code")}


def test_locate_communes_writes_each_found_centre_and_leaves_failures_untouched(territories):
    answers = {"93001": "municipality_aubervilliers.json", "93066": "homonym_other_citycode.json"}

    def fetch(url, timeout):
        if "citycode=94028" in url:
            raise TimeoutError
        code = url.split("citycode=")[1][:5]
        return recorded(answers[code])

    communes = list(communes_without_centre())
    assert [c.insee_code for c in communes] == ["93001", "93066", "94028"]
    result = locate_communes(communes, fetch=fetch)
    assert [c.insee_code for c in result.located] == ["93001"]
    assert [c.insee_code for c, _ in result.failures] == ["93066", "94028"]
    assert all(r.startswith("Le service national d'adresses") for _, r in result.failures)
    centres = _centres()
    assert centres["93001"] == (Decimal("48.914554"), Decimal("2.383201"))
    assert centres["93066"] == (None, None) and centres["94028"] == (None, None)
    assert "1 localisées, 2 en échec" in result.summary()
    assert [c.insee_code for c in communes_without_centre()] == ["93066", "94028"]
    assert [c.insee_code for c in communes_without_centre(all_missing=True)] == [
        "93029",
        "93066",
        "94028",
        "94080",
    ]


def test_command_reports_counts_and_lists_failures(territories, settings):
    with address_api() as server:
        settings.ADRESSE_API_URL = server.url
        out = io.StringIO()
        with pytest.raises(CommandError, match="2 commune"):
            call_command("geocode_communes", programme=territories.pk, stdout=out)
        report = out.getvalue()
        assert "1 localisées, 2 en échec" in report
        assert "Saint-Denis (93066) : Le service national d'adresses (BAN) ne connaît pas" in report
        assert (
            "Créteil (94028) : Le service national d'adresses (BAN) a répondu par une erreur"
            in (report)
        )
        assert len(server.requests) == 3  # communes of territories only, not Drancy
        # Once located, a commune is not asked again.
        server.requests.clear()
        with pytest.raises(CommandError):
            call_command("geocode_communes", stdout=io.StringIO())
        assert len(server.requests) == 2
        server.requests.clear()
        with pytest.raises(CommandError):
            call_command("geocode_communes", all_missing=True, stdout=io.StringIO())
        assert len(server.requests) == 4  # Drancy (a street: refused) and Vincennes too
    assert _centres()["93001"] == (Decimal("48.914554"), Decimal("2.383201"))
    assert _centres()["93029"] == (None, None)


def test_command_refuses_an_unknown_programme(db):
    with pytest.raises(CommandError, match="Programme introuvable"):
        call_command("geocode_communes", programme=999999, stdout=io.StringIO())


def test_nothing_to_locate(db):
    out = io.StringIO()
    call_command("geocode_communes", stdout=out)
    assert "Aucune commune à localiser" in out.getvalue()


def test_demo_centres_file_loads_idempotently_and_a_bad_file_changes_nothing(db, tmp_path):
    from django.conf import settings

    demo = settings.BASE_DIR / "geo" / "data" / "centres_demo.csv"
    factories.commune("93001", "Aubervilliers")
    factories.commune("75113", "Paris 13e Arrondissement")
    with pytest.raises(CommandError, match="absentes du référentiel"):
        call_command("geocode_communes", from_csv=demo, stdout=io.StringIO())
    assert _centres()["93001"] == (None, None)
    assert load_centres_csv(demo, skip_unknown=True) == 2
    assert load_centres_csv(demo, skip_unknown=True) == 0
    assert _centres()["75113"] == (Decimal("48.829000"), Decimal("2.362000"))

    bad = tmp_path / "centres.csv"
    bad.write_text("insee_code;latitude;longitude\n93001;1;2\n75113;95;2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="ligne 3 : position hors des bornes"):
        call_command("geocode_communes", from_csv=bad, stdout=io.StringIO())
    assert _centres()["93001"] == (Decimal("48.914000"), Decimal("2.382000"))

    good = tmp_path / "good.csv"
    good.write_text("insee_code;latitude;longitude\n93001;48,9;2,38\n", encoding="utf-8")
    out = io.StringIO()
    call_command("geocode_communes", from_csv=good, stdout=out)
    assert "1 modifiés" in out.getvalue()
    assert _centres()["93001"] == (Decimal("48.900000"), Decimal("2.380000"))


def test_the_database_refuses_half_a_centre(db):
    from django.db import IntegrityError, transaction

    commune = factories.commune()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commune.objects.filter(pk=commune.pk).update(latitude=48.9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Commune.objects.filter(pk=commune.pk).update(latitude=91, longitude=2)
