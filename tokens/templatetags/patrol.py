"""What every page shows one way: a moment in time, a permission, a scope, an audit action.

``{{ value|when }}`` renders a `<time>` element whose `datetime` attribute is
the exact ISO 8601 moment and whose title is the full date with its time zone.
The text is relative when the moment is within a day ("just now", "5 minutes
ago", "in 3 hours") and the full date otherwise ("Dec 5, 2026, 01:33 UTC"). A
date without a time shows as "Dec 5, 2026". The words come from
tokens.engine.moments, as the engine's reason messages do, so the two never
differ; ``{{ value|moment_words }}`` gives them as plain text (emails).

The catalogue in words (tokens.engine.catalogue); an unknown name renders as
itself (its description as nothing), never an error:

- ``{{ "contents"|permission_title }}`` → "Contents"
- ``{{ "contents"|permission_description }}`` → "Repository contents, commits, …"
- ``{{ "contents:write"|permission_words }}`` → "Contents (read and write)"
- ``{{ token.permissions|permission_list }}`` → ["Contents (read and write)", …], catalogue order
- ``{{ "write"|level_words }}`` → "read and write"
- ``{{ "repo"|scope_description }}`` → "Full control of private repositories"
- ``{{ event.action|action_name }}`` → "Token request created"
"""

from datetime import date, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.html import format_html

from audit.choices import action_name as _action_name
from tokens.engine import moments
from tokens.engine.catalogue import LEVEL_WORDS, PERMISSION_DESCRIPTIONS, PERMISSIONS, SCOPE_DESCRIPTIONS

register = template.Library()

RECENT = timedelta(days=1)


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def relative(moment: datetime, now: datetime) -> str | None:
    """Words for a moment within a day of `now`, else None."""
    delta = now - moment
    future = delta < timedelta(0)
    span = abs(delta)
    if span >= RECENT:
        return None
    if span < timedelta(minutes=1):
        return "just now"
    minutes = int(span.total_seconds() // 60)
    words = _count(minutes, "minute") if minutes < 60 else _count(minutes // 60, "hour")
    return f"in {words}" if future else f"{words} ago"


@register.filter
def when(value, now=None):
    """A `<time>` element for a datetime or a date; empty for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        moment = timezone.localtime(value) if timezone.is_aware(value) else value
        full = moments.moment_words(moment)
        text = relative(moment, now or timezone.now()) or full
        return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), full, text)
    if isinstance(value, date):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), moments.day_words(value))
    return value


@register.filter
def moment_words(value):
    """The full words of a datetime or a date as plain text; empty for None."""
    if isinstance(value, datetime):
        return moments.moment_words(value)
    if isinstance(value, date):
        return moments.day_words(value)
    return "" if value is None else value


@register.filter
def permission_title(name):
    permission = PERMISSIONS.get(str(name))
    return permission.title if permission is not None else name


@register.filter
def permission_description(name):
    return PERMISSION_DESCRIPTIONS.get(str(name), "")


@register.filter
def level_words(level):
    return LEVEL_WORDS.get(str(level), level)


@register.filter
def permission_words(value):
    """ "contents:write" → "Contents (read and write)"; anything else renders as itself."""
    name, sep, level = str(value).partition(":")
    if not sep or name not in PERMISSIONS or level not in LEVEL_WORDS:
        return value
    return f"{PERMISSIONS[name].title} ({LEVEL_WORDS[level]})"


@register.filter
def permission_list(permissions):
    """A {name: level} mapping in words, in the catalogue's order (unknown names last, as themselves)."""
    if not isinstance(permissions, dict):
        return []
    ordered = [name for name in PERMISSIONS if name in permissions]
    ordered += sorted(str(name) for name in permissions if name not in PERMISSIONS)
    return [permission_words(f"{name}:{permissions[name]}") for name in ordered]


@register.filter
def scope_description(scope):
    return SCOPE_DESCRIPTIONS.get(str(scope), "")


@register.filter
def action_name(action):
    return _action_name(str(action))


# The bar chart's drawing box, in SVG user units; the SVG scales to its container.
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_SIDE = 600, 230, 32, 36, 30


@register.inclusion_tag("_weekly_bar_chart.html")
def weekly_bar_chart(rows, *, title: str, value_heading: str, chart_id: str):
    """A bar chart drawn on the server as SVG: no script, no CDN. `rows` are (Monday, value) pairs.

    The SVG is one image to assistive technology (role="img", its title and a
    description in words); the numbers themselves are in a table it reads instead.
    """
    rows = list(rows)
    top = max((value for _, value in rows), default=0) or 1
    slot = (CHART_WIDTH - 2 * CHART_SIDE) / max(len(rows), 1)  # room at the sides for the outer labels
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for index, (label, value) in enumerate(rows):
        height = round(plot * value / top, 1)
        x = round(CHART_SIDE + index * slot + slot * 0.15, 1)
        bars.append(
            {
                "label": label,
                "value": value,
                "x": x,
                "y": round(CHART_TOP + plot - height, 1),
                "width": round(slot * 0.7, 1),
                "height": height,
                "middle": round(x + slot * 0.35, 1),
                "value_y": round(CHART_TOP + plot - height - 6, 1),
                "shows_label": index % 2 == (len(rows) - 1) % 2,  # every other week, ending with the last
            }
        )
    total = sum(value for _, value in rows)
    busiest = max(rows, key=lambda row: row[1], default=None)
    return {
        "bars": bars,
        "title": title,
        "value_heading": value_heading,
        "chart_id": chart_id,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "label_y": CHART_HEIGHT - 8,
        "total": total,
        "busiest": busiest if total else None,
    }
