"""Checking a pass and redeeming passes at an operator's place (« encaissement »).

- ``check_pass`` reads only: is this serial + code a pass that can be used, and (with a
  redemption context) can it be used here, for this service?
- ``redeem`` is exactly-once and all-or-nothing. In ONE transaction: insert the Redemption
  (unique operator + idempotency key: a retry with the same key returns the first answer), one
  conditional ``UPDATE ledger_pass … WHERE id IN (…) AND status IN (…)`` whose row count must equal
  the number of passes (else everything rolls back and each pass is diagnosed), the
  RedemptionLines (unique pass: a second line for a pass is impossible) and the REDEEMED events.
  Deadlocks between overlapping multi-pass redemptions end as a clean refusal.
- Guesses are throttled: wrong codes are counted per user and per IP address in the cache, and
  the public check page also counts every lookup per IP address.

No journal entry is written for a redemption: the signed REDEEMED PassEvents are its audit trail
(the journal has no redemption action yet).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Case, Value, When
from django.utils import formats, timezone

from operators.models import Place, Qualification, Service
from organisations.models import Organisation

from . import codes, redemption_queries
from .events import build_event, record_events, runs
from .exceptions import LedgerError
from .models import (
    EventKind,
    Order,
    OrderStatus,
    Pass,
    PassEvent,
    PassStatus,
    Redemption,
    RedemptionLine,
)

# Machine-readable reasons (stable: API clients rely on them).
VALID = "valid"
MALFORMED_SERIAL = "malformed_serial"
WRONG_CHECK_DIGIT = "wrong_check_digit"
WRONG_CODE = "wrong_code"  # unknown pass or wrong code: indistinguishable on purpose
MISSING_CODE = "missing_code"
ORDER_NOT_ACTIVE = "order_not_active"
ALREADY_REDEEMED = "already_redeemed"
EXPIRED = "expired"
CANCELLED = "cancelled"
NOT_DISTRIBUTED = "not_distributed"
OUTSIDE_PERIMETER = "outside_perimeter"
OPERATOR_NOT_QUALIFIED = "operator_not_qualified"
PLACE_NOT_YOURS = "place_not_yours"
PLACE_NOT_QUALIFIED = "place_not_qualified"
PLACE_NOT_ACCEPTING = "place_not_accepting"
SERVICE_NOT_YOURS = "service_not_yours"
SERVICE_NOT_ALLOWED = "service_not_allowed"
WRONG_PASS_COUNT = "wrong_pass_count"
DUPLICATE_PASS = "duplicate_pass"
IDEMPOTENCY_KEY = "idempotency_key"
CONFLICT = "conflict"
THROTTLED = "throttled"

# Reasons that mean "the state changed under you" (HTTP 409) rather than "bad request" (422).
CONFLICT_REASONS = {ALREADY_REDEEMED, CONFLICT}

USABLE_ORDER_STATUSES = (OrderStatus.ACTIVATED, OrderStatus.CLOSING)
IDEMPOTENCY_KEY_MAX = 100
MAX_PASSES = 20  # Service.price_in_passes is at most 20

WRONG_CODE_MESSAGE = (
    "Code incorrect : vérifiez le numéro du pass et son code (10 caractères, sous le QR code)."
)
NOT_USED_MESSAGE = "Pass valide, non encaissé : un encaissement se fait en entier ou pas du tout."


def _date(value) -> str:
    return formats.date_format(value, "d/m/Y")


def euros(cents: int) -> str:
    """1234 → « 12,34 € », with the French thousands separator (narrow no-break space)."""
    whole, rest = divmod(int(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{grouped},{rest:02d}\u00a0€"


class RedemptionRefused(LedgerError):
    """Nothing was redeemed. ``passes`` gives one verdict per pass sent (serial, reason,
    message) when the refusal concerns passes; ``code`` is the overall reason."""

    code = "refused"

    def __init__(self, message: str, code: str | None = None, passes=None):
        super().__init__(message, code)
        self.passes: list[PassVerdict] = list(passes or [])

    @property
    def is_conflict(self) -> bool:
        return self.code in CONFLICT_REASONS or any(
            v.reason in CONFLICT_REASONS for v in self.passes
        )


class GuessesThrottled(LedgerError):
    code = THROTTLED


@dataclass
class PassVerdict:
    serial: str
    reason: str
    message: str

    @property
    def ok(self) -> bool:
        return self.reason == VALID

    def as_dict(self) -> dict:
        return {"serial": self.serial, "reason": self.reason, "message": self.message}


@dataclass
class PassCheck:
    """What a check tells: never the holder nor the beneficiary."""

    serial: str
    ok: bool
    reason: str
    message: str
    pass_obj: Pass | None = None
    value_cents: int | None = None
    redeemable_until: date | None = None
    funder_name: str = ""
    order_reference: str = ""
    perimeter_summary: str = ""
    from_stock: bool = False

    @property
    def verdict(self) -> PassVerdict:
        return PassVerdict(self.serial, self.reason, self.message)

    @property
    def value_display(self) -> str:
        return euros(self.value_cents) if self.value_cents is not None else ""


@dataclass
class RedemptionOutcome:
    redemption: Redemption
    serials: list[str]
    amount_cents: int
    from_stock: list[str] = field(default_factory=list)
    replayed: bool = False

    @property
    def pass_count(self) -> int:
        return len(self.serials)


# --------------------------------------------------------------------------- throttling


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _counter_key(kind: str, value: str) -> str:
    digest = hashlib.sha256(str(value).encode()).hexdigest()[:32]
    return f"pass-guesses:{kind}:{digest}"


def _guess_keys(user_id: int | None, ip: str | None) -> list[tuple[str, int]]:
    keys = []
    if user_id:
        keys.append((_counter_key("user", str(user_id)), _limit("PASS_GUESSES_PER_USER", 20)))
    if ip:
        keys.append((_counter_key("ip", ip), _limit("PASS_GUESSES_PER_IP", 50)))
    return keys


def _window() -> int:
    return _limit("PASS_GUESSES_WINDOW_SECONDS", 900)


def _incr(key: str) -> int:
    if cache.add(key, 1, timeout=_window()):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=_window())
        return 1


THROTTLED_MESSAGE = (
    "Trop de codes incorrects : les vérifications de pass sont suspendues pendant "
    "quelques minutes. Réessayez plus tard."
)
PUBLIC_THROTTLED_MESSAGE = (
    "Trop de vérifications depuis votre connexion : réessayez dans quelques minutes."
)


def ensure_not_throttled(*, user_id: int | None = None, ip: str | None = None) -> None:
    """Raise GuessesThrottled when this user or address made too many wrong guesses."""
    if any((cache.get(key) or 0) >= limit for key, limit in _guess_keys(user_id, ip)):
        raise GuessesThrottled(THROTTLED_MESSAGE)


def record_wrong_guess(*, user_id: int | None = None, ip: str | None = None) -> None:
    for key, _limit_value in _guess_keys(user_id, ip):
        _incr(key)


def count_public_lookup(ip: str | None) -> None:
    """The public check page: every lookup counts, per IP address. Raises when over the limit."""
    if not ip:
        return
    key = _counter_key("public", ip)
    if (cache.get(key) or 0) >= _limit("PASS_PUBLIC_CHECKS_PER_IP", 60):
        raise GuessesThrottled(PUBLIC_THROTTLED_MESSAGE)
    _incr(key)


def throttled_check(
    serial: str, code: str, *, user_id: int | None = None, ip: str | None = None, public=False
) -> PassCheck:
    """check_pass behind the throttles (public page: per IP; API: per user and per IP)."""
    ensure_not_throttled(user_id=user_id, ip=ip)
    if public:
        count_public_lookup(ip)
    result = check_pass(serial, code)
    if result.reason == WRONG_CODE:
        record_wrong_guess(user_id=user_id, ip=ip)
    return result


# --------------------------------------------------------------------------- checks


def _redemption_label(pass_: Pass) -> tuple[str, str]:
    """(date, operator name) of a pass's redemption, for « déjà utilisé le … chez … »."""
    when = pass_.redeemed_at
    name = ""
    if pass_.redemption_id:
        redemption = (
            Redemption.objects.filter(pk=pass_.redemption_id)
            .select_related("operator")
            .only("operator__name", "created_at")
            .first()
        )
        if redemption is not None:
            name = redemption.operator.name
            when = when or redemption.created_at
    return (_date(timezone.localtime(when)) if when else ""), name


def already_redeemed_message(pass_: Pass) -> str:
    when, name = _redemption_label(pass_)
    message = "Ce pass a déjà été utilisé"
    if when:
        message += f" le {when}"
    if name:
        message += f" chez {name}"
    return message + "."


def _cancel_reason(pass_: Pass) -> str:
    event = (
        PassEvent.objects.for_pass(pass_)
        .filter(kind=EventKind.CANCELLED)
        .order_by("-created_at", "-id")
        .only("reason")
        .first()
    )
    return event.reason if event is not None and event.reason else ""


def _state_verdict(pass_: Pass, order: Order, today: date) -> tuple[str, str]:
    """The reason a pass cannot be used whatever the place (VALID when it can)."""
    if pass_.status in (PassStatus.REDEEMED, PassStatus.REIMBURSED):
        return ALREADY_REDEEMED, already_redeemed_message(pass_)
    if pass_.status == PassStatus.CANCELLED:
        motive = _cancel_reason(pass_)
        return CANCELLED, f"Pass annulé ({motive})." if motive else "Pass annulé."
    expired_since = _date(order.redeemable_until + timedelta(days=1))
    if pass_.status == PassStatus.EXPIRED or order.status == OrderStatus.EXPIRED:
        return EXPIRED, f"Pass expiré depuis le {expired_since}."
    if order.status in (OrderStatus.DRAFT, OrderStatus.CONFIRMED) or (
        pass_.status == PassStatus.ISSUED
    ):
        return ORDER_NOT_ACTIVE, (
            "Commande non activée : ce pass n'est pas encore payé par son financeur et ne peut "
            "pas être utilisé."
        )
    if order.status not in USABLE_ORDER_STATUSES:  # CLOSED
        return EXPIRED, "Pass expiré : la commande de ce pass est clôturée."
    if today > order.redeemable_until:
        return EXPIRED, f"Pass expiré depuis le {expired_since}."
    if pass_.status == PassStatus.IN_STOCK and not order.accept_in_stock:
        return NOT_DISTRIBUTED, (
            "Ce pass n'a pas été remis à un bénéficiaire : son financeur n'accepte pas les pass "
            "encore en stock."
        )
    if pass_.status not in (PassStatus.DISTRIBUTED, PassStatus.IN_STOCK):
        return ORDER_NOT_ACTIVE, "Ce pass ne peut pas être utilisé."
    return VALID, "Pass valide."


def _perimeter_summary(order: Order) -> str:
    names = list(order.perimeter.order_by("name").values_list("name", flat=True)[:6])
    if not names:
        return ""
    total = order.perimeter.count() if len(names) == 6 else len(names)
    text = ", ".join(names[:5])
    if total > 5:
        text += f" et {total - 5} autre{'s' if total > 6 else ''} commune{'s' if total > 6 else ''}"
    return text


def _parse(serial: str, code: str) -> tuple[PassCheck | None, str]:
    """(refusal, clean serial): the format, check digit and missing-code tests (no query)."""
    clean = codes.clean_serial(serial)
    try:
        codes.parse_pass_serial(clean)
    except codes.SerialError as exc:
        reason = MALFORMED_SERIAL if "mal formé" in str(exc) else WRONG_CHECK_DIGIT
        return PassCheck(clean, False, reason, str(exc)), clean
    if not codes.normalise_code(code):
        return PassCheck(
            clean, False, MISSING_CODE, "Indiquez le code du pass (10 caractères)."
        ), clean
    return None, clean


def _match(clean: str, code: str, pass_: Pass | None) -> PassCheck | None:
    """The existence and code test: None when the pass exists and the code is its own."""
    if pass_ is None or not codes.code_matches(pass_.order.key_id, clean, code):
        return PassCheck(clean, False, WRONG_CODE, WRONG_CODE_MESSAGE)
    return None


def _lookup(serial: str, code: str) -> tuple[PassCheck | None, Pass | None, str]:
    """(refusal, pass, clean serial): the format, check digit, existence and code tests."""
    refusal, clean = _parse(serial, code)
    if refusal is not None:
        return refusal, None, clean
    found = redemption_queries.passes_by_serial([clean]).get(clean)
    pass_ = found[0] if found else None
    refusal = _match(clean, code, pass_)
    if refusal is not None:
        return refusal, None, clean
    return None, pass_, clean


def check_pass(
    serial: str,
    code: str,
    *,
    operator: Organisation | None = None,
    place: Place | None = None,
    service: Service | None = None,
    today: date | None = None,
    _perimeters: dict[int, bool] | None = None,
) -> PassCheck:
    """Can this pass be used (and, with a context, here and for this service)? Reads only."""
    refusal, pass_, clean = _lookup(serial, code)
    if refusal is not None:
        return refusal
    return _verdict(clean, pass_, place=place, service=service, today=today, perimeters=_perimeters)


def _verdict(
    clean: str,
    pass_: Pass,
    *,
    place: Place | None,
    service: Service | None,
    today: date | None,
    perimeters: dict[int, bool] | None,
) -> PassCheck:
    """The verdict on a pass found with its right code (``perimeters``: None for a plain
    check, which then shows where the pass may be used)."""
    order = pass_.order
    today = today or timezone.localdate()
    result = PassCheck(
        clean,
        False,
        VALID,
        "",
        pass_obj=pass_,
        value_cents=order.face_value_cents,
        redeemable_until=order.redeemable_until,
        funder_name=order.funder.name,
        order_reference=order.reference,
        from_stock=pass_.status == PassStatus.IN_STOCK,
    )
    result.reason, result.message = _state_verdict(pass_, order, today)
    if result.reason == VALID and place is not None:
        result.reason, result.message = _context_verdict(
            order, place=place, service=service, perimeters=perimeters
        )
    result.ok = result.reason == VALID
    if result.ok and result.from_stock:
        result.message = (
            "Pass valide (encore en stock chez une structure : il sera signalé au financeur)."
        )
    if perimeters is None:  # a plain check shows where the pass may be used
        result.perimeter_summary = _perimeter_summary(order)
    return result


def _context_verdict(
    order: Order,
    *,
    place: Place,
    service: Service | None,
    perimeters: dict[int, bool] | None = None,
) -> tuple[str, str]:
    perimeters = perimeters if perimeters is not None else {}
    if order.pk not in perimeters:
        perimeters[order.pk] = order.perimeter.filter(pk=place.commune_id).exists()
    if not perimeters[order.pk]:
        return (
            OUTSIDE_PERIMETER,
            "Hors du territoire de ce pass : il n'est pas accepté dans ce lieu.",
        )
    if service is not None and order.allowed_themes and service.theme not in order.allowed_themes:
        return SERVICE_NOT_ALLOWED, (
            f"Service non autorisé pour ce pass : le thème « {service.get_theme_display()} » "
            "n'est pas financé par sa commande."
        )
    return VALID, "Pass valide."


def check_context(operator: Organisation, place: Place, service: Service) -> None:
    """The operator, its place and its service may redeem passes; else RedemptionRefused."""
    profile = getattr(operator, "operator_profile", None)
    if operator.kind != Organisation.Kind.OPERATOR or profile is None or not profile.is_qualified:
        raise RedemptionRefused(
            "Opérateur non qualifié : votre structure ne peut pas encaisser de pass.",
            OPERATOR_NOT_QUALIFIED,
        )
    if place.operator_id != operator.pk:
        raise RedemptionRefused("Ce lieu n'appartient pas à votre structure.", PLACE_NOT_YOURS)
    if not (place.is_active and place.accepts_passes):
        raise RedemptionRefused(
            f"Le lieu « {place.name} » n'accepte pas les pass.", PLACE_NOT_ACCEPTING
        )
    if place.qualification != Qualification.QUALIFIED:
        raise RedemptionRefused(
            f"Le lieu « {place.name} » n'est pas qualifié : il ne peut pas encaisser de pass "
            "tant que l'émetteur ne l'a pas qualifié.",
            PLACE_NOT_QUALIFIED,
        )
    if service.operator_id != operator.pk or not service.is_active:
        raise RedemptionRefused(
            "Ce service n'appartient pas au catalogue actif de votre structure.", SERVICE_NOT_YOURS
        )


def check_passes(
    operator: Organisation,
    place: Place,
    service: Service,
    items: list[tuple[str, str]],
    *,
    today: date | None = None,
) -> list[PassCheck]:
    """Every pass checked in the redemption context (the confirmation screen, and redeem)."""
    check_context(operator, place, service)
    parsed: list[tuple[str, str, PassCheck | None]] = []
    seen: set[str] = set()
    for serial, code in items:
        clean = codes.clean_serial(serial)
        if clean in seen:
            duplicate = PassCheck(
                clean, False, DUPLICATE_PASS, "Ce pass figure deux fois dans la liste."
            )
            parsed.append((clean, code, duplicate))
            continue
        seen.add(clean)
        refusal, clean = _parse(serial, code)
        parsed.append((clean, code, refusal))
    # Every pass with its order, its funder and the perimeter test, in one query.
    found = redemption_queries.passes_by_serial(
        [clean for clean, _code, refusal in parsed if refusal is None], place.commune_id
    )
    perimeters = {pass_.order_id: inside for pass_, inside in found.values()}
    results: list[PassCheck] = []
    for clean, code, refusal in parsed:
        if refusal is None:
            pass_ = found.get(clean, (None, False))[0]
            refusal = _match(clean, code, pass_)
        if refusal is not None:
            results.append(refusal)
            continue
        results.append(
            _verdict(clean, pass_, place=place, service=service, today=today, perimeters=perimeters)
        )
    return results


# --------------------------------------------------------------------------- redeem


def _outcome(redemption: Redemption, *, replayed: bool) -> RedemptionOutcome:
    lines = (
        RedemptionLine.objects.filter(redemption=redemption)
        .select_related("pass_obj")
        .order_by("pass_obj__number")
        .only("amount_cents", "pass_obj__serial", "pass_obj__redeemed_from_stock")
    )
    serials, from_stock, amount = [], [], 0
    for line in lines:
        serials.append(line.pass_obj.serial)
        amount += line.amount_cents
        if line.pass_obj.redeemed_from_stock:
            from_stock.append(line.pass_obj.serial)
    return RedemptionOutcome(redemption, serials, amount, from_stock, replayed=replayed)


def _unique_violation(exc: IntegrityError, constraint: str, columns: str) -> bool:
    """itou's maybe_unique_violation idea: is this IntegrityError that unique constraint?"""
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return diag.constraint_name == constraint
    return "UNIQUE constraint failed" in str(exc) and columns in str(exc)


def _is_lock_conflict(exc: OperationalError) -> bool:
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in ("40P01", "40001", "55P03"):  # deadlock, serialization, lock not available
        return True
    return "database is locked" in str(exc)


class _Rollback(Exception):
    """Internal: undo the savepoint, then diagnose each pass outside of it."""


def _find_replay(operator: Organisation, key: str) -> Redemption | None:
    return Redemption.objects.filter(operator=operator, idempotency_key=key).first()


def _refuse_from_checks(checks: list[PassCheck], fallback: str = "") -> RedemptionRefused:
    verdicts = []
    for check in checks:
        if check.ok:
            verdicts.append(PassVerdict(check.serial, VALID, NOT_USED_MESSAGE))
        else:
            verdicts.append(check.verdict)
    return _refuse_from_verdicts(verdicts, fallback)


def _refuse_from_verdicts(verdicts: list[PassVerdict], fallback: str = "") -> RedemptionRefused:
    bad = [v for v in verdicts if not v.ok]
    if not bad:  # every pass looks fine again: the race was lost to a concurrent attempt
        return RedemptionRefused(
            fallback
            or "Un autre encaissement de ces pass était en cours : rien n'a été encaissé. "
            "Réessayez.",
            CONFLICT,
            [PassVerdict(v.serial, CONFLICT, v.message) for v in verdicts],
        )
    code = bad[0].reason if len({v.reason for v in bad}) == 1 else "passes_refused"
    if len(bad) == 1 and len(verdicts) == 1:
        message = bad[0].message
    else:
        message = (
            f"{len(bad)} pass sur {len(verdicts)} refusé{'s' if len(bad) > 1 else ''} : "
            "rien n'a été encaissé."
        )
    return RedemptionRefused(message, code, verdicts)


def _refuse_already_lined(passes: list[Pass]) -> RedemptionRefused:
    """A RedemptionLine already exists for a pass (the unique constraint said so)."""
    lined = {
        line.pass_obj_id: line
        for line in RedemptionLine.objects.filter(pass_obj__in=passes).select_related(
            "redemption", "redemption__operator"
        )
    }
    verdicts = []
    for p in passes:
        line = lined.get(p.pk)
        if line is None:
            verdicts.append(PassVerdict(p.serial, VALID, NOT_USED_MESSAGE))
            continue
        when = _date(timezone.localtime(line.redemption.created_at))
        verdicts.append(
            PassVerdict(
                p.serial,
                ALREADY_REDEEMED,
                f"Ce pass a déjà été utilisé le {when} chez {line.redemption.operator.name}.",
            )
        )
    return _refuse_from_verdicts(verdicts)


def validate_idempotency_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise RedemptionRefused(
            "Clé d'idempotence manquante : chaque tentative d'encaissement doit en porter une.",
            IDEMPOTENCY_KEY,
        )
    if len(key) > IDEMPOTENCY_KEY_MAX:
        raise RedemptionRefused(
            f"Clé d'idempotence trop longue ({IDEMPOTENCY_KEY_MAX} caractères au plus).",
            IDEMPOTENCY_KEY,
        )
    return key


def redeem(
    *,
    operator: Organisation,
    place: Place,
    service: Service,
    items: list[tuple[str, str]],
    idempotency_key: str,
    by,
    ip: str | None = None,
    replay_checked: bool = False,
) -> RedemptionOutcome:
    """Redeem all the passes for one service at one place, or none (RedemptionRefused).

    ``items`` are (serial, code) pairs; their number must equal ``service.price_in_passes``.
    A retry with the same idempotency key returns the first answer (``replayed=True``).
    ``replay_checked``: the caller already looked for a redemption with this key (the API reads
    it with the rest of its context) and found none; the unique constraint still guards a race.
    """
    key = validate_idempotency_key(idempotency_key)
    if not replay_checked:
        existing = _find_replay(operator, key)
        if existing is not None:
            return _outcome(existing, replayed=True)
    user_id = getattr(by, "pk", None)
    ensure_not_throttled(user_id=user_id, ip=ip)
    items = [(s or "", c or "") for s, c in items if (s or "").strip() or (c or "").strip()]
    price = service.price_in_passes
    if not items:
        raise RedemptionRefused("Indiquez au moins un pass (numéro et code).", WRONG_PASS_COUNT)
    checks = check_passes(operator, place, service, items)
    if any(c.reason == WRONG_CODE for c in checks):
        record_wrong_guess(user_id=user_id, ip=ip)
    if not all(c.ok for c in checks):
        raise _refuse_from_checks(checks)
    if len(items) != price:
        raise RedemptionRefused(
            f"Le service « {service.title} » vaut {price} pass : vous en avez présenté "
            f"{len(items)}. Rien n'a été encaissé.",
            WRONG_PASS_COUNT,
        )
    passes = [c.pass_obj for c in checks]
    try:
        return _redeem_atomically(operator, place, service, passes, key, by)
    except _Rollback:
        pass
    except IntegrityError as exc:
        if _unique_violation(exc, "redemption_idempotency_key_unique", "idempotency_key"):
            existing = _find_replay(operator, key)
            if existing is not None:
                return _outcome(existing, replayed=True)
        elif _unique_violation(exc, "redemption_line_pass_once", "pass_id"):
            raise _refuse_already_lined(passes) from exc
        else:
            raise
    except OperationalError as exc:
        if not _is_lock_conflict(exc):
            raise
    # Rolled back: tell, pass by pass, why (most often « déjà utilisé le … chez … »).
    raise _refuse_from_checks(check_passes(operator, place, service, items))


def replayed_outcome(redemption_id: int) -> RedemptionOutcome:
    """The first answer of a redemption, for a retry with the same idempotency key."""
    return _outcome(Redemption.objects.get(pk=redemption_id), replayed=True)


def _redeem_atomically(
    operator: Organisation,
    place: Place,
    service: Service,
    passes: list[Pass],
    key: str,
    by,
) -> RedemptionOutcome:
    if connection.vendor == "postgresql":
        return _redeem_atomically_pg(operator, place, service, passes, key, by)
    return _redeem_atomically_orm(operator, place, service, passes, key, by)


# PostgreSQL: the redemption, the conditional update of its passes and its lines in ONE
# statement; the update's row count must equal the number of passes (else the caller's
# transaction rolls back). Same rows and the same constraints as the ORM version below.
_PG_REDEEM_SQL = (
    "WITH r AS ("
    " INSERT INTO ledger_redemption (operator_id, place_id, service_id, idempotency_key,"
    " pass_count, amount_cents, created_by_id, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
    "), u AS ("
    " UPDATE ledger_pass SET status = 'REDEEMED', redemption_id = (SELECT id FROM r),"
    " redeemed_at = %s, redeemed_from_stock = (status = 'IN_STOCK')"
    " WHERE id = ANY(%s::bigint[])"
    " AND (status = 'DISTRIBUTED' OR (status = 'IN_STOCK' AND id = ANY(%s::bigint[])))"
    " RETURNING id"
    "), l AS ("
    " INSERT INTO ledger_redemptionline (redemption_id, pass_id, amount_cents)"
    " SELECT (SELECT id FROM r), u.id, x.amount FROM u"
    " INNER JOIN unnest(%s::bigint[], %s::integer[]) AS x(pass_id, amount) ON x.pass_id = u.id"
    ") SELECT (SELECT id FROM r), (SELECT count(*) FROM u)"
)
_PG_EVENT_COLUMNS = (
    "created_at",
    "kind",
    "order_id",
    "first_number",
    "last_number",
    "pass_count",
    "to_status",
    "actor_id",
    "redemption_id",
    "reason",
    "details",
    "signature",
)
_PG_EVENT_INSERT = f"INSERT INTO ledger_passevent ({', '.join(_PG_EVENT_COLUMNS)}) VALUES "  # noqa: S608
_PG_EVENT_ROW = "(" + ", ".join(["%s"] * (len(_PG_EVENT_COLUMNS) - 2)) + ", %s::jsonb, %s)"


def _redeem_atomically_pg(
    operator: Organisation,
    place: Place,
    service: Service,
    passes: list[Pass],
    key: str,
    by,
) -> RedemptionOutcome:
    now = timezone.now()
    amount = sum(p.order.face_value_cents for p in passes)
    actor_id = getattr(by, "pk", None)
    ids = [p.pk for p in passes]
    with transaction.atomic(), redemption_queries.hot_cursor() as cursor:
        cursor.execute(
            _PG_REDEEM_SQL,
            [
                operator.pk,
                place.pk,
                service.pk,
                key,
                len(passes),
                amount,
                actor_id,
                now,
                now,
                ids,
                [p.pk for p in passes if p.order.accept_in_stock],
                ids,
                [p.order.face_value_cents for p in passes],
            ],
        )
        redemption_id, updated = cursor.fetchone()
        if updated != len(passes):
            raise _Rollback
        # The signed REDEEMED events (ledger.events signs them), one per run of numbers.
        by_order: dict[int, list[Pass]] = {}
        for p in passes:
            by_order.setdefault(p.order_id, []).append(p)
        params: list = []
        for group in by_order.values():
            order = group[0].order
            details = json.dumps(
                {
                    "place_id": place.pk,
                    "service_id": service.pk,
                    "from_stock": [p.serial for p in group if p.status == PassStatus.IN_STOCK],
                }
            )
            for first, last in runs(p.number for p in group):
                event = build_event(
                    order,
                    EventKind.REDEEMED,
                    first,
                    last,
                    to_status=PassStatus.REDEEMED,
                    actor_id=actor_id,
                    redemption_id=redemption_id,
                    created_at=now,
                )
                params += [
                    now,
                    event.kind,
                    event.order_id,
                    first,
                    last,
                    event.pass_count,
                    event.to_status,
                    actor_id,
                    redemption_id,
                    event.reason,
                    details,
                    event.signature,
                ]
        rows = len(params) // len(_PG_EVENT_COLUMNS)
        # Only constant fragments in the text; every value is a parameter.
        sql = _PG_EVENT_INSERT + ", ".join([_PG_EVENT_ROW] * rows)
        cursor.execute(sql, params)
    redemption = Redemption(
        id=redemption_id,
        operator=operator,
        place=place,
        service=service,
        idempotency_key=key,
        pass_count=len(passes),
        amount_cents=amount,
        created_by_id=actor_id,
        created_at=now,
    )
    redemption._state.adding = False
    return RedemptionOutcome(
        redemption,
        sorted(p.serial for p in passes),
        amount,
        sorted(p.serial for p in passes if p.status == PassStatus.IN_STOCK),
        replayed=False,
    )


def _redeem_atomically_orm(
    operator: Organisation,
    place: Place,
    service: Service,
    passes: list[Pass],
    key: str,
    by,
) -> RedemptionOutcome:
    now = timezone.now()
    amount = sum(p.order.face_value_cents for p in passes)
    by_order: dict[int, list[Pass]] = {}
    for p in passes:
        by_order.setdefault(p.order_id, []).append(p)
    with transaction.atomic():
        redemption = Redemption.objects.create(
            operator=operator,
            place=place,
            service=service,
            idempotency_key=key,
            pass_count=len(passes),
            amount_cents=amount,
            created_by=by,
        )
        updated = 0
        for group in by_order.values():
            order = group[0].order
            allowed = [PassStatus.DISTRIBUTED]
            if order.accept_in_stock:
                allowed.append(PassStatus.IN_STOCK)
            updated += Pass.objects.filter(id__in=[p.pk for p in group], status__in=allowed).update(
                status=PassStatus.REDEEMED,
                redemption_id=redemption.pk,
                redeemed_at=now,
                redeemed_from_stock=Case(
                    When(status=PassStatus.IN_STOCK, then=Value(True)), default=Value(False)
                ),
            )
        if updated != len(passes):
            raise _Rollback
        RedemptionLine.objects.bulk_create(
            RedemptionLine(redemption=redemption, pass_obj=p, amount_cents=p.order.face_value_cents)
            for p in passes
        )
        from_stock = sorted(p.serial for p in passes if p.status == PassStatus.IN_STOCK)
        for group in by_order.values():
            record_events(
                group[0].order,
                EventKind.REDEEMED,
                [p.number for p in group],
                to_status=PassStatus.REDEEMED,
                actor_id=getattr(by, "pk", None),
                redemption_id=redemption.pk,
                created_at=now,
                details={
                    "place_id": place.pk,
                    "service_id": service.pk,
                    "from_stock": [p.serial for p in group if p.status == PassStatus.IN_STOCK],
                },
            )
    return RedemptionOutcome(
        redemption,
        sorted(p.serial for p in passes),
        amount,
        from_stock,
        replayed=False,
    )


def verify_for_redemption(
    operator: Organisation,
    place: Place,
    service: Service,
    items: list[tuple[str, str]],
    *,
    user_id: int | None = None,
    ip: str | None = None,
) -> list[PassCheck]:
    """The confirmation step: every pass checked in context, behind the guess throttle."""
    ensure_not_throttled(user_id=user_id, ip=ip)
    items = [(s or "", c or "") for s, c in items if (s or "").strip() or (c or "").strip()]
    checks = check_passes(operator, place, service, items)
    if any(c.reason == WRONG_CODE for c in checks):
        record_wrong_guess(user_id=user_id, ip=ip)
    return checks
