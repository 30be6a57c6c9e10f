import pytest

from operators import opening_hours
from operators.opening_hours import OpeningHoursError, describe, normalise, parse


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
            "Mo-Fr 09:00-12:00,14:00-18:30; Sa 08:30-12:00",
        ),
        ("24/7", "24/7"),
        ("Mo,We,Fr 10:00-12:00", "Mo,We,Fr 10:00-12:00"),
        ("Mo-We,Fr 10:00-12:00;PH off", "Mo-We,Fr 10:00-12:00; PH off"),
        ("  Mo-Fr   09:00-17:00 ;  Su closed ", "Mo-Fr 09:00-17:00; Su off"),
        ("10:00-18:00", "10:00-18:00"),
        ("Sa,PH 09:00-12:00", "Sa,PH 09:00-12:00"),
        ("Mo-Su 00:00-24:00", "Mo-Su 00:00-24:00"),
        ("", ""),
    ],
)
def test_common_subset_parses(value, expected):
    assert normalise(value) == expected


@pytest.mark.parametrize(
    "value, bad_part",
    [
        ("Lu 9h-12h", "Lu"),
        ("Mo-Fr 9h-12h", "9h-12h"),
        ("Mo-Fr 09:00-25:00", "09:00-25:00"),
        ("Mo-Fr 09:60-12:00", "09:60-12:00"),
        ("Mo-Fr 12:00-09:00", "12:00-09:00"),
        ("Fr-Mo 09:00-12:00", "Fr-Mo"),
        ("Mo-Fr", "Mo-Fr"),
        ("Mo-Fr 09:00-12:00;; Sa off", "Mo-Fr 09:00-12:00;; Sa off"),
        ("Mo-Fr 09:00-12:00, 14:00", "14:00"),
        ("Mo-Fr 09:00-24:30", "09:00-24:30"),
        ("PH-Mo off", "PH-Mo"),
    ],
)
def test_unreadable_hours_name_the_bad_part_in_french(value, bad_part):
    with pytest.raises(OpeningHoursError) as excinfo:
        parse(value)
    message = str(excinfo.value)
    assert message.startswith("Horaires illisibles : ")
    assert f"« {bad_part} »" in message
    assert opening_hours.EXAMPLE in message


def test_rules_are_structured():
    rules = parse("Mo-We 09:00-12:00,14:00-18:00; PH off")
    assert rules[0].days == ("Mo", "Tu", "We")
    assert rules[0].ranges == (("09:00", "12:00"), ("14:00", "18:00"))
    assert rules[1].days == ("PH",) and rules[1].ranges == ()


def test_describe_in_french():
    assert describe("Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off") == [
        "Du lundi au vendredi : 09:00–12:00, 14:00–18:00",
        "Samedi : 09:00–12:00",
        "Jours fériés : fermé",
    ]
    assert describe("24/7") == ["Ouvert 24 h sur 24, 7 jours sur 7"]
