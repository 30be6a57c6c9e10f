"""The TARGET2 calendar: the days the euro interbank settlement system is open, on which a SEPA
credit transfer can be executed. TARGET2 is closed on Saturdays, Sundays, 1 January, Good Friday,
Easter Monday, 1 May, 25 and 26 December (ECB calendar, unchanged since 2002)."""

from __future__ import annotations

from datetime import date, timedelta

# How far ahead a paying agent may ask its bank to execute a transfer file.
MAX_EXECUTION_DAYS = 60


def easter_sunday(year: int) -> date:
    """Western (Gregorian) Easter Sunday: the anonymous Gregorian algorithm (Meeus/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def target2_holiday(day: date) -> str | None:
    """The name of the TARGET2 holiday on ``day`` (weekends excluded), or None."""
    fixed = {
        (1, 1): "jour de l'An",
        (5, 1): "fête du Travail",
        (12, 25): "Noël",
        (12, 26): "lendemain de Noël",
    }
    if (day.month, day.day) in fixed:
        return fixed[(day.month, day.day)]
    easter = easter_sunday(day.year)
    if day == easter - timedelta(days=2):
        return "Vendredi saint"
    if day == easter + timedelta(days=1):
        return "lundi de Pâques"
    return None


def closing_reason(day: date) -> str | None:
    """Why TARGET2 is closed on ``day`` (« samedi », « dimanche », a holiday's name), or None."""
    if day.weekday() == 5:
        return "samedi"
    if day.weekday() == 6:
        return "dimanche"
    return target2_holiday(day)


def is_target2_business_day(day: date) -> bool:
    return closing_reason(day) is None


def next_target2_business_day(after: date) -> date:
    """The first TARGET2 business day strictly after ``after``."""
    day = after + timedelta(days=1)
    while not is_target2_business_day(day):
        day += timedelta(days=1)
    return day


def previous_target2_business_day(before: date) -> date:
    """The last TARGET2 business day strictly before ``before``."""
    day = before - timedelta(days=1)
    while not is_target2_business_day(day):
        day -= timedelta(days=1)
    return day


def execution_date_problem(day: date, today: date) -> str | None:
    """Why ``day`` cannot be the requested execution date of a transfer file exported on
    ``today`` (a French sentence), or None. Today itself is accepted when TARGET2 is open."""
    if day < today:
        return f"La date d'exécution demandée ({day:%d/%m/%Y}) est passée."
    if day > today + timedelta(days=MAX_EXECUTION_DAYS):
        return (
            f"La date d'exécution demandée ({day:%d/%m/%Y}) est à plus de {MAX_EXECUTION_DAYS} "
            "jours : choisissez une date plus proche."
        )
    reason = closing_reason(day)
    if reason:
        return f"Le {day:%d/%m/%Y} est un jour de fermeture de TARGET2 ({reason})."
    return None
