"""The company-search client, on recorded answers of recherche-entreprises.api.gouv.fr."""

import urllib.error

import pytest

from core.tests.recorded_http import replay as replay_body
from operators import sirene

from .fixtures import company_api, recorded


def replay(name: str):
    """A transport that answers with a recorded response (the client's parsing runs on it)."""
    return replay_body(recorded(name))


def test_association_found_with_its_representative():
    fetch = replay("search_association.json")
    info = sirene.lookup("775 672 272 00017", fetch=fetch, base_url="https://api.example")
    assert fetch.calls == [("https://api.example/search?q=77567227200017", sirene.TIMEOUT_SECONDS)]
    assert info.siret == "77567227200017"
    assert info.siren == "775672272"
    assert info.name == "ASSOCIATION CLIC SOLIDAIRE"
    assert info.address == "12 RUE DES POISSONNIERS 93300 AUBERVILLIERS"
    assert (info.postal_code, info.city, info.insee_code) == ("93300", "AUBERVILLIERS", "93001")
    assert info.legal_category == "ASSOCIATION"
    assert info.is_active
    assert info.representatives == [sirene.Representative("Claire MARTIN", "Présidente")]


def test_secondary_establishment_matched_exactly_and_closed_flagged():
    info = sirene.lookup("49876543700013", fetch=replay("search_secondary_closed.json"))
    assert info.address == "4 RUE DU PLAT 69002 LYON"
    assert info.insee_code == "69382"
    assert not info.is_active
    assert info.legal_category == "PUBLIC"
    assert info.representatives[0].name == "CONSEIL MUNICIPAL"


def test_a_fuzzy_result_is_never_taken():
    # The recorded answer is about another SIRET of the same company: no exact match, no result.
    assert sirene.lookup("77567227200025", fetch=replay("search_association.json")) is None


def test_unknown_siret():
    assert sirene.lookup("81234567600017", fetch=replay("search_empty.json")) is None


@pytest.mark.parametrize(
    "payload",
    [b"<html>maintenance</html>", b'{"resultats": []}', b"\xff\xfe"],
)
def test_unreadable_answers_give_a_french_error(payload):
    with pytest.raises(sirene.CompanySearchError, match="Le service de recherche d'entreprises"):
        sirene.lookup("77567227200017", fetch=lambda url, timeout: payload)


def test_timeout_and_unreachable_service_give_french_errors():
    def timeout(url, t):
        raise TimeoutError

    def refused(url, t):
        raise urllib.error.URLError(ConnectionRefusedError())

    with pytest.raises(sirene.CompanySearchError, match="n'a pas répondu à temps"):
        sirene.lookup("77567227200017", fetch=timeout)
    with pytest.raises(sirene.CompanySearchError, match="injoignable"):
        sirene.lookup("77567227200017", fetch=refused)


def test_real_transport_over_http_replays_recorded_answers():
    with company_api() as server:
        info = sirene.lookup("77567227200017", base_url=server.url)
        assert info.name == "ASSOCIATION CLIC SOLIDAIRE"
        assert server.requests == ["/search?q=77567227200017"]
        with pytest.raises(sirene.CompanySearchError, match="saturé"):
            sirene.lookup("49876543700021", base_url=server.url)


def test_only_http_urls_are_fetched():
    with pytest.raises(sirene.CompanySearchError):
        sirene.lookup("77567227200017", base_url="file:///etc")
