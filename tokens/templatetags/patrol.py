"""What every page shows one way: a moment in time.

``{{ value|when }}`` renders a `<time>` element whose `datetime` attribute is
the exact ISO 8601 moment and whose title is the full date with its time zone.
The text is relative when the moment is within a day ("just now", "5 minutes
ago", "in 3 hours") and the full date otherwise ("Dec 5, 2026, 01:33 UTC"). A
date without a time shows as "Dec 5, 2026".
"""

from datetime import date, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

register = template.Library()

FULL = "M j, Y, H:i T"
DAY = "M j, Y"
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
        full = date_format(moment, FULL)
        text = relative(moment, now or timezone.now()) or full
        return format_html('<time datetime="{}" title="{}">{}</time>', moment.isoformat(), full, text)
    if isinstance(value, date):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), date_format(value, DAY))
    return value
