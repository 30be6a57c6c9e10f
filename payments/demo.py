"""The counter-payment part of the Grand Paris demo.

- Two finance users on the issuer (``finance@`` prepares, ``finance2@`` validates: four eyes), both
  with a confirmed TOTP device whose secret is printed, so that a person can add it to an
  authenticator app (or scan the otpauth:// URI as a QR code).
- The issuer's debtor account, and bank details for the operators that redeemed passes — except
  one, which shows as « bloqué » in the run's report.
- One PAID run over the passes redeemed until the eve of the export (exported on a past TARGET2
  business day, paid on the next one: its requested execution date), then (that operator's bank
  details now recorded) one DRAFT complementary run over its passes, waiting for validation.

Idempotent: a second run changes nothing (runs are only made when the programme has none).
"""

import base64
import secrets
from datetime import date, datetime, time, timedelta

from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from schwifty import IBAN

from accounts.models import User
from core import demo_clock
from core.demo import DEMO_PASSWORD, EMAIL_DOMAIN, DemoLogin
from ledger.models import Redemption
from operators.models import BankAccount
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme

from . import services
from .calendar import previous_target2_business_day
from .models import PayerBankAccount, PaymentRun

DEVICE_NAME = "Application d'authentification (démo)"


def _user(email: str, first: str, last: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first, last_name=last, is_active=True)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _device(user: User) -> TOTPDevice:
    """A confirmed TOTP device with a random key, made once (its key is printed by the demo)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=DEVICE_NAME, key=secrets.token_hex(20), confirmed=True
        )
    return device


def _secret(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii")


def _demo_iban(number: int) -> str:
    return IBAN.generate(
        "FR", bank_code="30006", branch_code="00001", account_code=f"{number:011d}"
    ).compact


def load(programme: Programme) -> dict:
    issuer = programme.issuer
    if issuer is None or programme.payment_mode != Programme.PaymentMode.ISSUER:
        return {
            "lines": ["Contre-paiements : le programme de démo n'est pas payé par un émetteur."]
        }
    finance = []
    for email, first, last in (
        (f"finance@{EMAIL_DOMAIN}", "Fanny", "Finances"),
        (f"finance2@{EMAIL_DOMAIN}", "Victor", "Validation"),
    ):
        user = _user(email, first, last)
        Membership.objects.update_or_create(
            user=user,
            organisation=issuer,
            defaults={
                "role": Role.MEMBER,
                "is_finance": True,
                "is_active": True,
                "deactivated_at": None,
            },
        )
        finance.append((user, _device(user)))
    preparer, validator = finance[0][0], finance[1][0]
    if not PayerBankAccount.objects.filter(organisation=issuer).exists():
        PayerBankAccount.objects.create(
            organisation=issuer,
            name=issuer.name[:70],
            iban=_demo_iban(9_000_001),
            bic="AGRIFRPP",
            created_by=preparer,
        )
    lines = []
    if not PaymentRun.objects.filter(programme=programme).exists():
        lines += _runs(programme, issuer, preparer, validator)
    for user, device in finance:
        lines.append(
            f"Rôle finance {user.email} : clé TOTP {_secret(device)} (ou l'URI {device.config_url})"
        )
    run_count = PaymentRun.objects.filter(programme=programme).count()
    lines.insert(0, f"Contre-paiements : {run_count} campagne(s) pour {programme.name}.")
    logins = [
        DemoLogin("Finance (prépare les contre-paiements)", issuer.name, preparer.email),
        DemoLogin("Finance (valide : quatre yeux)", issuer.name, validator.email),
    ]
    return {"lines": lines, "logins": logins}


def _runs(programme: Programme, issuer: Organisation, preparer, validator) -> list[str]:
    operator_ids = set(
        Redemption.objects.filter(passes__order__programme=programme).values_list(
            "operator_id", flat=True
        )
    )
    operators = list(Organisation.objects.filter(pk__in=operator_ids).order_by("pk"))
    if not operators:
        return ["Contre-paiements : aucun pass utilisé, aucune campagne créée."]
    held_back = operators[-1] if len(operators) > 1 else None
    # A bank never executes a transfer before the requested execution date: the paid run is
    # replayed under the demo clock on the last two TARGET2 business days before today (exported
    # on the first, executed and paid on the second), so the demo works on any day of the week.
    paid_day = previous_target2_business_day(services.paris_today())
    export_day = previous_target2_business_day(paid_day)
    period_end = export_day - timedelta(days=1)
    with demo_clock.at(_at(export_day, 8)):
        for operator in operators:
            if operator == held_back or BankAccount.objects.filter(operator=operator).exists():
                continue
            _bank_account(operator, preparer)
    out = []
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        with demo_clock.at(_at(export_day, 9)):
            run = services.prepare_run(
                payer=issuer, programme=programme, period_end=period_end, actor=preparer
            )
        with demo_clock.at(_at(export_day, 11)):
            services.validate_run(run, actor=validator)
            services.export_run(run, actor=validator, execution_date=paid_day)
        with demo_clock.at(_at(paid_day, 16)):
            run = services.mark_paid(run, paid_on=paid_day, actor=validator)
    out.append(
        f"Campagne {run.reference} payée : {run.pass_count} pass, {len(run.blocked)} opérateur "
        "bloqué (sans coordonnées bancaires)."
    )
    if held_back is not None:
        _bank_account(held_back, preparer)
        try:
            draft = services.prepare_run(
                payer=issuer, programme=programme, period_end=period_end, actor=preparer
            )
        except services.PaymentError as exc:
            out.append(f"Pas de brouillon : {exc}")
        else:
            out.append(
                f"Campagne {draft.reference} en brouillon ({draft.pass_count} pass) : à valider "
                f"par {validator.email} (quatre yeux)."
            )
    return out


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=services.PARIS)


def _bank_account(operator: Organisation, by) -> BankAccount:
    return BankAccount.objects.create(
        operator=operator,
        holder=operator.name[:200],
        iban=_demo_iban(operator.pk),
        bic="AGRIFRPP",
        created_by=by,
    )
