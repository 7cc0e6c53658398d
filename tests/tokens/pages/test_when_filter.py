"""Every page shows a moment one way (tokens/templatetags/patrol.py): a `<time>` element
with the exact moment, its time zone, and words when it is recent."""

from datetime import UTC, date, datetime, timedelta

from django.template import Context, Template

from tokens.templatetags.patrol import when

NOW = datetime(2026, 12, 5, 1, 33, tzinfo=UTC)


def test_a_moment_within_a_minute_is_just_now():
    assert ">just now</time>" in when(NOW - timedelta(seconds=20), NOW)


def test_a_recent_moment_counts_minutes_or_hours():
    assert ">5 minutes ago</time>" in when(NOW - timedelta(minutes=5), NOW)
    assert ">1 hour ago</time>" in when(NOW - timedelta(minutes=61), NOW)
    assert ">in 3 hours</time>" in when(NOW + timedelta(hours=3, minutes=5), NOW)


def test_an_older_moment_shows_the_full_date_with_its_time_zone():
    rendered = when(NOW - timedelta(days=3), NOW)
    assert rendered == (
        '<time datetime="2026-12-02T01:33:00+00:00" title="Dec 2, 2026, 01:33 UTC">Dec 2, 2026, 01:33 UTC</time>'
    )


def test_a_date_shows_the_day():
    assert when(date(2027, 1, 31)) == '<time datetime="2027-01-31">Jan 31, 2027</time>'


def test_nothing_shows_nothing():
    assert when(None) == ""


def test_templates_load_it_by_name():
    rendered = Template("{% load patrol %}{{ moment|when }}").render(Context({"moment": NOW - timedelta(days=400)}))
    assert rendered.startswith('<time datetime="2025-')
