"""The TARGET2 calendar: Easter and its holidays over several years, the fixed holidays, weekends,
the next business day and the reasons a requested execution date is refused."""

from datetime import date, timedelta

import pytest

from payments.calendar import (
    MAX_EXECUTION_DAYS,
    closing_reason,
    easter_sunday,
    execution_date_problem,
    is_target2_business_day,
    next_target2_business_day,
    target2_holiday,
)

EASTERS = {
    2000: date(2000, 4, 23),
    2008: date(2008, 3, 23),
    2011: date(2011, 4, 24),
    2019: date(2019, 4, 21),
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2038: date(2038, 4, 25),
}


@pytest.mark.parametrize(("year", "easter"), EASTERS.items())
def test_easter_and_its_holidays(year, easter):
    assert easter_sunday(year) == easter
    assert target2_holiday(easter - timedelta(days=2)) == "Vendredi saint"
    assert target2_holiday(easter + timedelta(days=1)) == "lundi de Pâques"
    assert closing_reason(easter) == "dimanche"
    # Maundy Thursday and the Tuesday after Easter are ordinary business days.
    assert is_target2_business_day(easter - timedelta(days=3))
    assert is_target2_business_day(easter + timedelta(days=2))


def test_fixed_holidays_and_weekends():
    assert closing_reason(date(2026, 1, 1)) == "jour de l'An"
    assert closing_reason(date(2026, 5, 1)) == "fête du Travail"
    assert closing_reason(date(2026, 12, 25)) == "Noël"
    assert closing_reason(date(2028, 12, 26)) == "lendemain de Noël"
    assert closing_reason(date(2026, 11, 28)) == "samedi"
    assert closing_reason(date(2026, 11, 29)) == "dimanche"
    # French public holidays that are not TARGET2 holidays: open.
    for day in (date(2026, 7, 14), date(2026, 5, 8), date(2026, 5, 14), date(2026, 12, 24)):
        assert is_target2_business_day(day), day


def test_next_business_day():
    assert next_target2_business_day(date(2026, 3, 5)) == date(2026, 3, 6)  # Thu → Fri
    assert next_target2_business_day(date(2026, 3, 6)) == date(2026, 3, 9)  # Fri → Mon
    assert next_target2_business_day(date(2026, 4, 2)) == date(2026, 4, 7)  # over Easter
    assert next_target2_business_day(date(2026, 12, 24)) == date(2026, 12, 28)  # over Christmas
    assert next_target2_business_day(date(2027, 12, 24)) == date(2027, 12, 27)  # 25-26 weekend
    assert next_target2_business_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_execution_date_problems():
    today = date(2026, 12, 10)
    assert execution_date_problem(today, today) is None
    assert execution_date_problem(date(2026, 12, 11), today) is None
    assert execution_date_problem(date(2026, 12, 9), today) == (
        "La date d'exécution demandée (09/12/2026) est passée."
    )
    assert execution_date_problem(date(2026, 12, 25), today) == (
        "Le 25/12/2026 est un jour de fermeture de TARGET2 (Noël)."
    )
    assert "samedi" in execution_date_problem(date(2026, 12, 12), today)
    limit = today + timedelta(days=MAX_EXECUTION_DAYS)
    assert execution_date_problem(limit, today) is None  # 08/02/2027, a Monday
    assert "plus de 60 jours" in execution_date_problem(limit + timedelta(days=1), today)
