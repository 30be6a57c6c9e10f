"""OSM opening hours (« Mo-Fr 09:30-12:30,14:00-18:00; Sa 10:00-12:00 ») shown readably in French.

Only the common subset is translated (days, day ranges, times, « off », PH); anything else is
shown as written, never hidden."""

from __future__ import annotations

import re

DAYS = {
    "Mo": "lundi",
    "Tu": "mardi",
    "We": "mercredi",
    "Th": "jeudi",
    "Fr": "vendredi",
    "Sa": "samedi",
    "Su": "dimanche",
    "PH": "jours fériés",
}
_DAY_PART = re.compile(
    r"^(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?)(?:,(?:(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?))*$"
)
_TIME_RANGE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def _days(text: str) -> str:
    parts = []
    for chunk in text.split(","):
        if "-" in chunk:
            first, last = chunk.split("-")
            parts.append(f"du {DAYS[first]} au {DAYS[last]}")
        else:
            parts.append(f"le {DAYS[chunk]}" if chunk != "PH" else "les jours fériés")
    return ", ".join(parts)


def _times(text: str) -> str | None:
    if text.strip().lower() in ("off", "closed"):
        return "fermé"
    ranges = []
    for chunk in text.split(","):
        match = _TIME_RANGE.match(chunk.strip())
        if not match:
            return None
        h1, m1, h2, m2 = match.groups()
        ranges.append(f"{h1}:{m1} – {h2}:{m2}")
    return ", ".join(ranges)


def humanise(value: str) -> list[str]:
    """One readable line per rule; a rule that is not understood is kept as written."""
    lines = []
    for rule in (value or "").split(";"):
        rule = rule.strip()
        if not rule:
            continue
        if rule == "24/7":
            lines.append("Ouvert tous les jours, 24 h sur 24")
            continue
        head, _, rest = rule.partition(" ")
        times = _times(rest) if rest else None
        if _DAY_PART.match(head) and times is not None:
            text = _days(head)
            lines.append(f"{text[0].upper()}{text[1:]} : {times}")
        else:
            lines.append(rule)
    return lines
