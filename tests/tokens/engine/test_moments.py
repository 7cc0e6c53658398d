"""A moment in words, one way everywhere (tokens.engine.moments): the engine's reasons,
the pages' `when` filter and what Django renders in the admin."""

from datetime import UTC, date, datetime, timedelta, timezone

from django.template import Context, Template

from tokens.engine.moments import day_words, moment_words
from tokens.templatetags.patrol import when

MOMENT = datetime(2026, 12, 5, 1, 33, 59, tzinfo=UTC)


def test_a_moment_reads_as_month_day_year_and_the_minute_in_utc():
    assert moment_words(MOMENT) == "Dec 5, 2026, 01:33 UTC"


def test_a_moment_from_another_time_zone_is_said_in_utc():
    assert moment_words(MOMENT.astimezone(timezone(timedelta(hours=-5)))) == "Dec 5, 2026, 01:33 UTC"


def test_a_day_reads_as_month_day_year():
    assert day_words(date(2027, 1, 31)) == "Jan 31, 2027"


def test_the_pages_say_a_moment_in_the_same_words():
    assert f'title="{moment_words(MOMENT)}">{moment_words(MOMENT)}</time>' in when(MOMENT, MOMENT + timedelta(days=2))


def test_django_renders_moments_and_days_in_the_same_words():
    # The admin's date columns are rendered by Django with the formats of config/formats.
    rendered = Template("{{ moment }} · {{ day }}").render(Context({"moment": MOMENT, "day": MOMENT.date()}))

    assert rendered == f"{moment_words(MOMENT)} · {day_words(MOMENT.date())}"
