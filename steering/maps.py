"""The steering map: territories as circles at their commune's centre, places as small markers,
built from a dashboard (so from the rollup only, and only the dashboard's slice). The figures of
the popups are formatted here, in French; ``static/js/map.js`` draws them (no inline script: the
data goes through ``json_script``). The territory and « Lieux » tables are the alternative."""

from typing import Any

from .queries import AVAILABLE_SOON, Dashboard
from .templatetags.steering_format import cell, pct


def _position(obj: Any) -> tuple[float, float] | None:
    if obj.latitude is None or obj.longitude is None:
        return None
    return float(obj.latitude), float(obj.longitude)


def map_data(dashboard: Dashboard) -> dict[str, Any]:
    """``circles`` (territories with a known centre: ``value`` = passes handed out, the radius
    grows with its square root; ``alert`` = below the PIC target), ``places`` (places with a
    position and passes used there), and the labels of those without a position."""
    circles, unknown = [], []
    for line in dashboard.lines:
        if line.territory is None:
            continue
        position = _position(line.territory.commune)
        if position is None:
            unknown.append(line.label)
            continue
        pic = f"{pct(line.pic_share)} (objectif {line.pic_target} %)"
        if line.below_pic_target:
            pic += " — sous l'objectif"
        circles.append(
            {
                "lat": position[0],
                "lng": position[1],
                "name": line.label,
                "value": line.distributed,
                "alert": line.below_pic_target,
                "rows": [
                    ["Pass remis", cell(line.distributed)],
                    ["Pass utilisés", cell(line.redeemed)],
                    ["Taux d'utilisation", pct(line.use_rate)],
                    ["Part PIC", pic],
                    ["Part QPV", pct(line.qpv_share)],
                ],
            }
        )
    places, places_unknown = [], []
    for line in dashboard.places:
        place = line.place
        position = _position(place)
        if position is None:
            places_unknown.append(place.name)
            continue
        reimbursed = cell(line.reimbursed) if dashboard.reimbursed_available else AVAILABLE_SOON
        places.append(
            {
                "lat": position[0],
                "lng": position[1],
                "name": place.name,
                "rows": [
                    ["Opérateur", place.operator.name],
                    ["Commune", place.commune.name],
                    ["Pass utilisés", cell(line.redeemed)],
                    ["Dont remboursés", reimbursed],
                ],
            }
        )
    return {
        "circles": circles,
        "places": places,
        "unknown_territories": unknown,
        "unknown_places": places_unknown,
    }
