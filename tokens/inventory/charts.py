"""The inventory's charts as plain numbers for an SVG template: no script, no CDN (behaviour §5.1)."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.dateformat import format as date_format

from tokens.choices import CredentialType

from .selectors import UNUSED_DAYS, Summary

WIDTH, HEIGHT = 360, 150
TOP, BOTTOM = 18, 22  # room for the numbers above the bars and the labels below
GAP = 0.25  # of each bar's slot


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    labelled: bool = True  # drawn under the bar; every bar's label is in the text beside the chart

    @property
    def middle(self) -> float:
        return round(self.x + self.width / 2, 1)

    @property
    def value_y(self) -> float:
        return round(self.y - 4, 1)


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    bars: list[Bar]
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> int:
        return self.height - BOTTOM

    @property
    def in_words(self) -> str:
        return "; ".join(f"{bar.label}: {bar.value}" for bar in self.bars) + "."


def bar_chart(*, slug: str, title: str, values: list[tuple[str, int]], label_every: int = 1) -> Chart:
    slot = WIDTH / len(values)
    room = HEIGHT - TOP - BOTTOM
    highest = max((value for _, value in values), default=0) or 1
    bars = []
    for index, (label, value) in enumerate(values):
        height = room * value / highest
        bars.append(
            Bar(
                label=label,
                value=value,
                x=round(index * slot + slot * GAP / 2, 1),
                y=round(TOP + room - height, 1),
                width=round(slot * (1 - GAP), 1),
                height=round(height, 1),
                labelled=index % label_every == 0,
            )
        )
    return Chart(slug=slug, title=title, bars=bars)


def inventory_charts(summary: Summary, *, now) -> list[Chart]:
    tokens = summary.by_type[CredentialType.FINE_GRAINED] + summary.by_type[CredentialType.CLASSIC]
    weeks = [
        (date_format(now + timedelta(weeks=index), "M j"), count)
        for index, count in enumerate(summary.expiring_per_week)
    ]
    return [
        bar_chart(
            slug="by-type",
            title="Credentials by type",
            values=[
                ("Fine-grained", summary.by_type[CredentialType.FINE_GRAINED]),
                ("Classic", summary.by_type[CredentialType.CLASSIC]),
                ("SSH keys", summary.by_type[CredentialType.SSH_KEY]),
            ],
        ),
        bar_chart(
            slug="expiring",
            title="Tokens expiring, week by week, for the next 12 weeks",
            values=weeks,
            label_every=3,  # twelve dates side by side would overlap
        ),
        bar_chart(
            slug="unused",
            title=f"Tokens unused for more than {UNUSED_DAYS} days",
            values=[
                (f"Unused over {UNUSED_DAYS} days", summary.unused),
                ("Used more recently", tokens - summary.unused),
            ],
        ),
    ]
