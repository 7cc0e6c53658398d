"""A moment in words, one way everywhere: "Dec 5, 2026, 01:33 UTC"; a day alone, "Dec 5, 2026".

Pure, so the engine's reason messages use it; the pages' `when` filter, the
emails and Django's own date formats (config/formats) say the same words.
"""

from datetime import UTC, date, datetime

# Spelled out rather than strftime's %b, which follows the process's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_words(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def moment_words(moment: datetime) -> str:
    """The moment in UTC, to the minute; a naive moment is taken to be in UTC already."""
    utc = moment.astimezone(UTC) if moment.tzinfo is not None else moment
    return f"{day_words(utc)}, {utc:%H:%M} UTC"
