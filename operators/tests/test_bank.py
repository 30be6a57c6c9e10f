"""Bank details: IBAN/BIC checks (schwifty, French RIB key), history, two-factor authentication
for a change, back to review after qualification, and who may see them."""

import html
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from journal.models import JournalEntry
from operators import queries, services
from operators.forms import BankAccountForm
from operators.models import BankAccount, OperatorProfile, Qualification
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org

pytestmark = pytest.mark.django_db

IBAN = "FR76 3000 6000 0112 3456 7890 189"
IBAN_2 = "FR14 2004 1010 0505 0001 3M02 606"
# Same bank, branch and account as IBAN but a wrong RIB key (88 instead of 89); the IBAN's own
# check digits were recomputed, so only the French RIB key is wrong.
IBAN_WRONG_RIB_KEY = "FR0630006000011234567890188"
BIC = "AGRIFRPP"


def text(response) -> str:
    return html.unescape(response.content.decode())


def operator_with_admin(qualification=Qualification.SUBMITTED):
    org = make_org(kind=Organisation.Kind.OPERATOR)
    OperatorProfile.objects.create(
        organisation=org,
        qualification=qualification,
        decided_at=timezone.now() if qualification == Qualification.QUALIFIED else None,
        submitted_at=timezone.now(),
    )
    return org, make_member(org)


def verify_2fa(client, user):
    """Pair a TOTP device and type its current code through the verify page."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    response = client.post(reverse("accounts:otp_verify"), {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    return device


def test_form_accepts_valid_iban_and_bic():
    form = BankAccountForm({"holder": " Clic ", "iban": IBAN.lower(), "bic": "agri frpp"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {
        "holder": "Clic",
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
    }


@pytest.mark.parametrize(
    ("iban", "message"),
    [
        (IBAN_WRONG_RIB_KEY, "La clé RIB de cet IBAN est fausse"),
        ("FR7730006000011234567890189", "sa clé de contrôle (les 2 chiffres après le code pays)"),
        ("FR76300060000112345678901", "n'a pas la bonne longueur"),
        ("QQ7630006000011234567890189", "code pays inconnu"),
    ],
)
def test_form_refuses_bad_iban_with_its_own_message(iban, message):
    form = BankAccountForm({"holder": "Clic", "iban": iban, "bic": BIC})
    assert not form.is_valid()
    assert message in form.errors["iban"][0]


def test_form_refuses_bad_bic_and_foreign_bic():
    form = BankAccountForm({"holder": "Clic", "iban": IBAN, "bic": "AGRI"})
    assert "Ce BIC n'est pas valide" in form.errors["bic"][0]
    form = BankAccountForm({"holder": "Clic", "iban": IBAN, "bic": "DEUTDEFF"})
    assert "autre pays" in form.errors["bic"][0]


def test_first_bank_details_without_2fa(client):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    url = reverse("operators:bank", args=[operator.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"holder": "Association Clic", "iban": IBAN, "bic": BIC})
    assert response.status_code == 302
    account = BankAccount.objects.get()
    assert (account.iban, account.bic, account.created_by) == (
        "FR7630006000011234567890189",
        BIC,
        admin.user,
    )


def test_wrong_rib_key_is_refused_in_french_and_nothing_changes(client):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    response = client.post(
        reverse("operators:bank", args=[operator.pk]),
        {"holder": "Association Clic", "iban": IBAN_WRONG_RIB_KEY, "bic": BIC},
    )
    assert response.status_code == 400
    assert "La clé RIB de cet IBAN est fausse" in text(response)
    assert "Rien n'a été enregistré." in text(response)
    assert not BankAccount.objects.exists()
    assert not JournalEntry.objects.filter(organisation=operator).exists()


def test_change_requires_2fa_keeps_history_and_goes_back_to_review(client):
    operator, admin = operator_with_admin(Qualification.QUALIFIED)
    services.change_bank_account(
        operator, holder="Clic", iban="FR7630006000011234567890189", bic=BIC, by=admin.user
    )
    # Recording the first details of a qualified operator sends it back to review too: undo that
    # to look at a change made after qualification.
    OperatorProfile.objects.filter(organisation=operator).update(qualification="QUALIFIED")
    client.force_login(admin.user)
    url = reverse("operators:bank", args=[operator.pk])

    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_verify"))
    response = client.post(url, {"holder": "Clic", "iban": IBAN_2, "bic": "PSSTFRPP"})
    assert response.status_code == 302
    assert BankAccount.objects.count() == 1  # nothing changed without 2FA

    # No device yet: the verify page sends to the set-up page, which shows a QR code.
    setup = client.get(response.url, follow=True)
    assert "data:image/svg+xml;base64," in text(setup)

    verify_2fa(client, admin.user)
    assert client.get(url).status_code == 200
    response = client.post(url, {"holder": "Clic Solidaire", "iban": IBAN_2, "bic": "PSSTFRPP"})
    assert response.status_code == 302

    accounts = list(BankAccount.objects.filter(operator=operator))
    assert [a.iban for a in accounts] == [
        "FR1420041010050500013M02606",
        "FR7630006000011234567890189",
    ]
    assert queries.current_bank_account(operator).holder == "Clic Solidaire"
    profile = OperatorProfile.objects.get(organisation=operator)
    assert profile.qualification == Qualification.IN_REVIEW
    entry = JournalEntry.objects.filter(organisation=operator).latest("pk")
    assert entry.action == JournalEntry.Action.ORGANISATION_UPDATED
    assert entry.details["event"] == "operator_bank_details"
    assert entry.details["back_to_review"] is True
    assert entry.details["previous_iban_end"] == "0189"


def test_otp_setup_confirms_a_device_with_a_right_code(client):
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    url = reverse("accounts:otp_setup")
    page = client.get(url, {"next": "/operateurs/"})
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=admin.user)
    assert not device.confirmed
    wrong = client.post(url, {"token": "000000" if totp(device.bin_key) else "111111"})
    assert wrong.status_code == 400
    assert "Ce code n'est pas le bon" in text(wrong)
    device.refresh_from_db()
    assert not device.confirmed
    # django-otp throttles after a failure (1 s, then 2 s…): come back later, clock frozen.
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        token = f"{totp(device.bin_key):06d}"
        response = client.post(url, {"token": token, "next": "/operateurs/"})
    assert response.status_code == 302 and response.url == "/operateurs/"
    device.refresh_from_db()
    assert device.confirmed


def test_bank_page_403_for_readonly_and_member_404_for_others(client):
    operator, _ = operator_with_admin()
    url = reverse("operators:bank", args=[operator.pk])
    for role in (Role.READONLY, Role.MEMBER):
        client.force_login(make_member(operator, role=role).user)
        assert client.get(url).status_code == 403
        assert client.post(url, {"holder": "X", "iban": IBAN, "bic": BIC}).status_code == 403
    client.force_login(make_member(make_org(kind=Organisation.Kind.OPERATOR)).user)
    assert client.get(url).status_code == 404
    assert not BankAccount.objects.exists()


def test_bank_details_visible_only_to_operator_admins_and_finance_roles(client):
    operator, admin = operator_with_admin()
    services.change_bank_account(
        operator, holder="Clic", iban="FR7630006000011234567890189", bic=BIC, by=admin.user
    )
    shown = "FR76 3000 6000 0112 3456 7890 189"
    profile_url = reverse("operators:profile", args=[operator.pk])

    client.force_login(admin.user)
    assert shown in text(client.get(profile_url))
    for role in (Role.MEMBER, Role.READONLY):
        member = make_member(operator, role=role)
        client.force_login(member.user)
        body = text(client.get(profile_url))
        assert shown not in body and "0189" not in body
        assert not queries.can_see_bank_details(member.user, operator)

    issuer = make_org(kind=Organisation.Kind.ISSUER)
    reviewer = make_member(issuer)
    client.force_login(reviewer.user)
    url = reverse("operators:application", args=[issuer.pk, operator.operator_profile.pk])
    assert shown in text(client.get(url))
    assert queries.can_see_bank_details(reviewer.user, operator)
    funder_admin = make_member(make_org(kind=Organisation.Kind.FUNDER))
    assert queries.can_see_bank_details(funder_admin.user, operator)

    issuer_reader = make_member(issuer, role=Role.READONLY)
    client.force_login(issuer_reader.user)
    assert client.get(url).status_code == 403
    assert not queries.can_see_bank_details(issuer_reader.user, operator)

    other_operator_admin = make_member(make_org(kind=Organisation.Kind.OPERATOR))
    client.force_login(other_operator_admin.user)
    assert client.get(profile_url).status_code == 404
    assert not queries.can_see_bank_details(other_operator_admin.user, operator)
    prescriber_admin = make_member(make_org(kind=Organisation.Kind.PRESCRIBER))
    assert not queries.can_see_bank_details(prescriber_admin.user, operator)


def test_first_details_of_a_qualified_operator_need_2fa_too(client):
    operator, admin = operator_with_admin(Qualification.QUALIFIED)
    client.force_login(admin.user)
    url = reverse("operators:bank", args=[operator.pk])
    response = client.post(url, {"holder": "Clic", "iban": IBAN, "bic": BIC})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:otp_verify"))
    assert not BankAccount.objects.exists()
    verify_2fa(client, admin.user)
    response = client.post(url, {"holder": "Clic", "iban": IBAN, "bic": BIC}, follow=True)
    assert "repasse en examen" in text(response)
    assert OperatorProfile.objects.get(organisation=operator).qualification == "IN_REVIEW"


def test_otp_verify_refuses_a_wrong_code_in_french_and_stays_unverified(client):
    operator, admin = operator_with_admin()
    services.change_bank_account(
        operator, holder="Clic", iban="FR7630006000011234567890189", bic=BIC, by=admin.user
    )
    device = TOTPDevice.objects.create(user=admin.user, name="test", confirmed=True)
    client.force_login(admin.user)
    wrong = "000000" if totp(device.bin_key) else "111111"
    response = client.post(reverse("accounts:otp_verify"), {"token": wrong})
    assert response.status_code == 400
    assert "Ce code n'est pas le bon, ou il a expiré." in text(response)
    response = client.post(reverse("accounts:otp_verify"), {"token": "12ab"})
    assert "Le code compte 6 chiffres." in text(response)
    url = reverse("operators:bank", args=[operator.pk])
    assert client.get(url).status_code == 302  # still not verified


def test_otp_pages_need_login_and_ignore_foreign_next(client):
    assert client.get(reverse("accounts:otp_setup")).status_code == 302
    operator, admin = operator_with_admin()
    client.force_login(admin.user)
    page = client.get(reverse("accounts:otp_setup"), {"next": "https://ailleurs.example/"})
    assert 'value="/compte/"' in page.content.decode()
