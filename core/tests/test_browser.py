"""The shell in a real browser (Debian's headless Chromium): login, organisation switch, keyboard
navigation, and axe-core on every page (no "serious" or "critical" violation).

Set PASSNUM_SCREENSHOTS=1 to save screenshots of the login and workspace pages in test-artifacts/.
"""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-staple-42"


@pytest.fixture
def admin(transactional_db):
    """An admin of a prescriber structure (in a funder → municipality → prescriber chain)."""
    from django.core.cache import cache

    from accounts.models import User
    from organisations.models import Membership, Organisation, Role

    cache.clear()  # login throttling counts failures per IP address in the cache
    funder = Organisation.objects.create(
        kind=Organisation.Kind.FUNDER, name="Métropole du Grand Paris"
    )
    municipality = Organisation.objects.create(
        kind=Organisation.Kind.MUNICIPALITY, name="Ville de Montreuil", parent=funder
    )
    organisation = Organisation.objects.create(
        kind=Organisation.Kind.PRESCRIBER, name="Centre social Les Tilleuls", parent=municipality
    )
    user = User.objects.create_user(
        email="camille.martin@tilleuls.example", password=PASSWORD, first_name="Camille"
    )
    Membership.objects.create(user=user, organisation=organisation, role=Role.ADMIN)
    colleague = User.objects.create_user(
        email="sami.benali@tilleuls.example", first_name="Sami", last_name="Benali"
    )
    Membership.objects.create(user=colleague, organisation=organisation, role=Role.MEMBER)
    return user, organisation


def test_login_lands_on_the_workspace(page, axe_check, admin):
    user, organisation = admin

    page.goto("/compte/connexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    axe_check(page)
    screenshot(page, "login")

    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()

    # One membership: the home page redirects to that organisation's workspace.
    expect(page).to_have_url(re.compile(rf"/organisations/{organisation.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(organisation.name)
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    axe_check(page)
    screenshot(page, "workspace")


def test_two_memberships_choose_and_switch_organisation(page, axe_check, admin):
    from organisations.models import Membership, Organisation, Role

    user, first = admin
    second = Organisation.objects.create(
        kind=Organisation.Kind.OPERATOR, name="Atelier Numérique 93"
    )
    Membership.objects.create(user=user, organisation=second, role=Role.MEMBER)

    log_in(page, user.email, PASSWORD)

    # Two memberships: the chooser home page lists both.
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))
    cards = page.locator("main .cards > li")
    expect(cards).to_have_count(2)
    expect(page.get_by_role("link", name=first.name)).to_be_visible()
    expect(page.get_by_role("link", name=second.name)).to_be_visible()
    axe_check(page)

    switcher = page.get_by_label("Vous travaillez pour")
    expect(switcher).to_be_visible()
    switcher.select_option(str(second.pk))
    page.get_by_role("button", name="Changer").click()

    expect(page).to_have_url(re.compile(rf"/organisations/{second.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(second.name)
    expect(page.get_by_role("status")).to_contain_text(f"Vous travaillez maintenant pour {second}")
    expect(page.get_by_label("Vous travaillez pour")).to_have_value(str(second.pk))
    axe_check(page)

    # And back, from the workspace.
    page.get_by_label("Vous travaillez pour").select_option(str(first.pk))
    page.get_by_role("button", name="Changer").click()
    expect(page).to_have_url(re.compile(rf"/organisations/{first.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(first.name)


def test_wrong_password_shows_a_french_error(page, axe_check, admin):
    user, _organisation = admin

    log_in(page, user.email, "not-the-password")

    expect(page).to_have_url(re.compile(r"/compte/connexion/$"))
    expect(page.locator("main")).to_contain_text(
        "Adresse e-mail ou mot de passe incorrect. Vérifiez votre saisie."
    )
    # The e-mail typed is kept, the password is not.
    expect(page.get_by_label("Adresse e-mail")).to_have_value(user.email)
    expect(page.get_by_label("Mot de passe")).to_have_value("")
    axe_check(page)


# (path, logged in?) — "{org}" is replaced by the admin's organisation id.
SHELL_PAGES = [
    ("/", False),
    ("/compte/connexion/", False),
    ("/", True),
    ("/organisations/{org}/", True),
    ("/organisations/{org}/membres/", True),
    ("/organisations/{org}/journal/", True),
    ("/organisations/{org}/modifier/", True),
    ("/taches/organisation/{org}/", True),
    ("/compte/", True),
    ("/compte/mot-de-passe/", True),
    ("/compte/jetons/", True),
    ("/referentiel/communes/", True),
    ("/accessibilite/", True),
    ("/donnees-personnelles/", True),
    ("/api/v1/docs", True),
]


@pytest.mark.parametrize(
    ("path", "logged_in"),
    SHELL_PAGES,
    ids=[f"{path}{'' if logged_in else ' (anonymous)'}" for path, logged_in in SHELL_PAGES],
)
def test_shell_page_is_accessible(page, axe_check, browser_errors, admin, path, logged_in):
    from geo.models import Commune
    from organisations.models import Membership, Organisation, Role

    user, organisation = admin
    # A second membership: "/" is then the chooser, and every page shows the organisation switcher.
    operator = Organisation.objects.create(
        kind=Organisation.Kind.OPERATOR, name="Atelier Numérique 93"
    )
    Membership.objects.create(user=user, organisation=operator, role=Role.READONLY)
    Commune.objects.create(
        insee_code="93048",
        name="Montreuil",
        department="93",
        postal_codes=["93100"],
        population=111_367,
    )
    if logged_in:
        log_in(page, user.email, PASSWORD)
        expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()

    url = path.format(org=organisation.pk)
    response = page.goto(url)
    if url.startswith("/api/"):
        page.wait_for_load_state("networkidle")  # Swagger UI fetches and renders openapi.json

    assert response is not None and response.status == 200, f"{url} : HTTP {response.status}"
    assert urlsplit(page.url).path == url, f"{url} a redirigé vers {page.url}"
    if logged_in and not url.startswith("/api/"):  # the API docs page is not in the shell
        expect(page.get_by_label("Vous travaillez pour")).to_be_visible()
    expect(page.locator("h1").first).to_be_visible()
    axe_check(page)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # The strict CSP must not break the page (no refused script/style, no JavaScript error).
    assert not browser_errors, f"{url} : erreurs dans le navigateur :\n" + "\n".join(browser_errors)


@pytest.mark.parametrize("logged_in", [False, True], ids=["landing", "workspace"])
def test_skip_link_is_first_and_moves_focus_to_main(page, admin, logged_in):
    user, organisation = admin
    if logged_in:
        log_in(page, user.email, PASSWORD)
        expect(page).to_have_url(re.compile(rf"/organisations/{organisation.pk}/$"))
    else:
        page.goto("/")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    # Off-screen until focused, then visible inside the viewport.
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box
    expect(skip_link).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main#contenu")).to_be_focused()
    expect(page).to_have_url(re.compile(r"#contenu$"))

    # Keyboard navigation goes on from the main content, not from the header.
    page.keyboard.press("Tab")
    in_main = "() => document.getElementById('contenu').contains(document.activeElement)"
    assert page.evaluate(in_main), page.evaluate("() => document.activeElement.outerHTML")


def test_invitation_link_creates_the_account_and_opens_the_workspace(page, axe_check, admin):
    from organisations import services
    from organisations.models import Role

    inviter, organisation = admin
    _invitation, token = services.invite(
        organisation, "nouvelle.mediatrice@exemple.fr", Role.MEMBER, by=inviter
    )
    page.goto(f"/organisations/invitation/{token}/")
    expect(page.locator("h1")).to_have_text(f"Rejoindre {organisation.name}")
    axe_check(page)
    page.get_by_label("Prénom").fill("Nora")
    page.get_by_label(re.compile(r"^Nom\W*$")).fill("Médiatrice")
    page.get_by_label(re.compile(r"^Mot de passe\W*$")).fill("un-mot-de-passe-solide-2021")
    page.get_by_label("Confirmation du mot de passe").fill("autre-chose-2021")
    page.get_by_role("button", name="Créer mon compte et rejoindre").click()
    expect(page.get_by_text("Les deux mots de passe ne correspondent pas.")).to_be_visible()
    axe_check(page)  # the error state too
    page.get_by_label(re.compile(r"^Mot de passe\W*$")).fill("un-mot-de-passe-solide-2021")
    page.get_by_label("Confirmation du mot de passe").fill("un-mot-de-passe-solide-2021")
    page.get_by_role("button", name="Créer mon compte et rejoindre").click()
    expect(page.locator("h1")).to_have_text(organisation.name)
    assert urlsplit(page.url).path == f"/organisations/{organisation.pk}/"
