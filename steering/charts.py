"""Accessible SVG charts rendered on the server (no JavaScript): each has a title and a
description read by screen readers (role="img"), and the page shows the same figures as a
table right after it. Colours come from CSS classes (the « Pilotage » section of passnum.css)."""

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
LABEL_WIDTH = 190
BAR_HEIGHT = 26
GAP = 10


def _number(value: float | int) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return f"{value:,}".replace(",", "\u202f")


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: list[str]) -> str:
    return format_html(
        '<svg class="steering-chart" role="img" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="{id}-title {id}-desc" focusable="false">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>',
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=desc,
        body=format_html_join("", "{}", ((part,) for part in body)),
    )


def _shown(value, unit: str) -> str:
    if value is None:
        return "non disponible"
    return value if isinstance(value, str) else f"{_number(value)}{unit}"


def bar_chart(
    chart_id: str,
    title: str,
    items: list[tuple[str, int | float | None]],
    *,
    maximum: float | None = None,
    unit: str = "",
    target: float | None = None,
    alert_below: float | None = None,
) -> SafeString:
    """Horizontal bars, one per (label, value); None is drawn as « non disponible », a text
    (« sans objet ») as itself, without a bar."""
    values = [v for _, v in items if isinstance(v, int | float)]
    top = maximum or max(values, default=0) or 1
    plot = WIDTH - LABEL_WIDTH - 90
    height = len(items) * (BAR_HEIGHT + GAP) + GAP + (18 if target is not None else 0)
    body = []
    texts = []  # drawn last: over the target line, with a white halo (CSS)
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR_HEIGHT + GAP)
        body.append(
            format_html(
                '<text class="steering-chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
                LABEL_WIDTH - 8,
                y + BAR_HEIGHT * 0.68,
                label[:28],
            )
        )
        if value is None:
            text, width = "non disponible", 0
        elif isinstance(value, str):
            text, width = value, 0
        else:
            text, width = f"{_number(value)}{unit}", round(plot * min(value, top) / top)
        css = "steering-bar"
        if alert_below is not None and isinstance(value, int | float) and value < alert_below:
            css += " steering-bar-alert"
        body.append(
            format_html(
                '<rect class="{}" x="{}" y="{}" width="{}" height="{}"></rect>',
                css,
                LABEL_WIDTH,
                y,
                width,
                BAR_HEIGHT,
            )
        )
        texts.append(
            format_html(
                '<text class="steering-chart-value" x="{}" y="{}">{}</text>',
                LABEL_WIDTH + width + 6,
                y + BAR_HEIGHT * 0.68,
                text,
            )
        )
    if target is not None:
        x = LABEL_WIDTH + round(plot * target / top)
        body.append(
            format_html(
                '<line class="steering-target" x1="{x}" x2="{x}" y1="0" y2="{y}"></line>'
                '<text class="steering-chart-label" x="{x}" y="{t}" text-anchor="middle">'
                "objectif {v}{u}</text>",
                x=x,
                y=height - 18,
                t=height - 4,
                v=_number(target),
                u=unit,
            ),
        )
    body.extend(texts)
    desc = " ; ".join(f"{label} : {_shown(v, unit)}" for label, v in items)
    if target is not None:
        desc += f" ; objectif {_number(target)}{unit}"
    return _svg(chart_id, title, desc, WIDTH, height, body)


def month_chart(
    chart_id: str, title: str, months: list[tuple[str, int, int]], legend: tuple[str, str]
) -> SafeString:
    """Two vertical bars per month (e.g. passes handed out and passes used)."""
    height, base, top_pad = 220, 180, 24
    slot = 72
    width = max(WIDTH, 60 + slot * len(months))
    top = max([max(a, b) for _, a, b in months], default=0) or 1
    body = [
        format_html(
            '<rect class="steering-bar" x="60" y="4" width="12" height="12"></rect>'
            '<text class="steering-chart-label" x="78" y="14">{}</text>'
            '<rect class="steering-bar-second" x="260" y="4" width="12" height="12"></rect>'
            '<text class="steering-chart-label" x="278" y="14">{}</text>',
            legend[0],
            legend[1],
        ),
        format_html(
            '<line class="steering-axis" x1="50" x2="{}" y1="{}" y2="{}"></line>', width, base, base
        ),
    ]
    for i, (label, first, second) in enumerate(months):
        x = 60 + i * slot
        pairs = ((first, "steering-bar"), (second, "steering-bar-second"))
        for j, (value, css) in enumerate(pairs):
            h = round((base - top_pad) * value / top)
            body.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="20" height="{}"></rect>',
                    css,
                    x + j * 22,
                    base - h,
                    h,
                )
            )
        body.append(
            format_html(
                '<text class="steering-chart-label" x="{}" y="{}" text-anchor="middle">{}</text>',
                x + 21,
                base + 16,
                label,
            )
        )
    desc = " ; ".join(
        f"{label} : {_number(a)} {legend[0].lower()}, {_number(b)} {legend[1].lower()}"
        for label, a, b in months
    )
    return _svg(chart_id, title, desc or "Aucune donnée.", width, height, body)


__all__ = ["bar_chart", "month_chart", "escape"]
