"""A small parser for the common subset of OpenStreetMap opening hours.

Accepted: « 24/7 »; rules separated by « ; »; each rule is an optional day selector (days Mo…Su
and PH, single or ranges such as Mo-Fr, in comma lists) followed by « off » / « closed » or by
time ranges HH:MM-HH:MM separated by commas. Examples: « Mo-Fr 09:00-12:00,14:00-18:30;
Sa 09:00-12:00; PH off ». Anything else is refused with a French message naming the bad part.
"""

import re
from dataclasses import dataclass, field

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
DAY_NAMES = {
    "Mo": "lundi",
    "Tu": "mardi",
    "We": "mercredi",
    "Th": "jeudi",
    "Fr": "vendredi",
    "Sa": "samedi",
    "Su": "dimanche",
    "PH": "jours fériés",
}
EXAMPLE = "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off"

_TIME_RANGE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_DAY_ITEM = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")


class OpeningHoursError(ValueError):
    """Unreadable opening hours; the message is French and names the bad part."""


@dataclass(frozen=True)
class Rule:
    days: tuple[str, ...]  # empty: every day
    ranges: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # empty: closed
    always: bool = False


def _fail(part: str, why: str) -> OpeningHoursError:
    return OpeningHoursError(
        f"Horaires illisibles : « {part} » {why}. "
        f"Utilisez le format OpenStreetMap, par exemple « {EXAMPLE} »."
    )


def _parse_days(selector: str) -> tuple[str, ...]:
    days: list[str] = []
    for item in selector.split(","):
        item = item.strip()
        match = _DAY_ITEM.match(item)
        if not match:
            raise _fail(
                item or selector, "n'est pas un jour reconnu (Mo, Tu, We, Th, Fr, Sa, Su, PH)"
            )
        first, last = match.groups()
        if last is None:
            days.append(first)
            continue
        if first == "PH":
            raise _fail(item, "n'est pas une plage de jours valide")
        start, end = DAYS.index(first), DAYS.index(last)
        if end < start:
            raise _fail(item, "n'est pas une plage de jours dans l'ordre de la semaine")
        days.extend(DAYS[start : end + 1])
    return tuple(days)


def _parse_time_ranges(text: str) -> tuple[tuple[str, str], ...]:
    ranges = []
    for item in text.split(","):
        item = item.strip()
        match = _TIME_RANGE.match(item)
        if not match:
            raise _fail(item or text, "n'est pas une plage horaire HH:MM-HH:MM")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or (h1 == 24 and m1) or (h2 == 24 and m2):
            raise _fail(item, "contient une heure qui n'existe pas")
        if h2 * 60 + m2 <= h1 * 60 + m1:
            raise _fail(item, "finit avant de commencer")
        ranges.append((f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"))
    return tuple(ranges)


def _parse_rule(rule: str) -> Rule:
    if rule == "24/7":
        return Rule(days=(), always=True)
    head, _, rest = rule.partition(" ")
    rest = rest.strip()
    if head[:1].isdigit():  # times only: every day
        return Rule(days=(), ranges=_parse_time_ranges(rule))
    if not rest:
        raise _fail(rule, "ne dit pas à quelles heures le lieu ouvre (ou « off »)")
    days = _parse_days(head)
    if rest in ("off", "closed"):
        return Rule(days=days)
    return Rule(days=days, ranges=_parse_time_ranges(rest))


def parse(value: str) -> list[Rule]:
    """The rules of ``value``; raises OpeningHoursError (French message) when unreadable."""
    text = (value or "").strip()
    if not text:
        return []
    rules = []
    for part in text.split(";"):
        part = " ".join(part.split())
        if not part:
            raise _fail(text, "contient une règle vide (deux « ; » de suite)")
        rules.append(_parse_rule(part))
    return rules


def normalise(value: str) -> str:
    """The canonical spelling: rules joined by « ; », single spaces, HH:MM times."""
    parts = []
    for rule in parse(value):
        if rule.always:
            parts.append("24/7")
            continue
        days = _days_text(rule.days)
        times = ",".join(f"{a}-{b}" for a, b in rule.ranges) if rule.ranges else "off"
        parts.append(f"{days} {times}".strip())
    return "; ".join(parts)


def _days_text(days: tuple[str, ...]) -> str:
    """Days back to OSM with ranges folded (Mo,Tu,We → Mo-We)."""
    items: list[str] = []
    week = [d for d in days if d != "PH"]
    i = 0
    while i < len(week):
        j = i
        while j + 1 < len(week) and DAYS.index(week[j + 1]) == DAYS.index(week[j]) + 1:
            j += 1
        items.append(week[i] if j == i else f"{week[i]}-{week[j]}")
        i = j + 1
    if "PH" in days:
        items.append("PH")
    return ",".join(items)


def describe(value: str) -> list[str]:
    """French lines for display (« du lundi au vendredi : 09:00–12:00, 14:00–18:00 »)."""
    lines = []
    for rule in parse(value):
        if rule.always:
            lines.append("Ouvert 24 h sur 24, 7 jours sur 7")
            continue
        days = _days_text(rule.days)
        words = []
        for item in days.split(",") if days else []:
            first, _, last = item.partition("-")
            if last:
                words.append(f"du {DAY_NAMES[first]} au {DAY_NAMES[last]}")
            else:
                words.append(DAY_NAMES[first])
        label = ", ".join(words) if words else "tous les jours"
        label = label[:1].upper() + label[1:]
        times = ", ".join(f"{a}–{b}" for a, b in rule.ranges) if rule.ranges else "fermé"
        lines.append(f"{label} : {times}")
    return lines
