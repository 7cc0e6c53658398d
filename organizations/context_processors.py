"""The organization switcher in the site's header (templates/base.html).

Lazy, and one query: it runs only when a page's layout shows the switcher.
"""

from dataclasses import dataclass, field

from django.db.models import CharField, Value
from django.utils.functional import SimpleLazyObject

from enterprises.selectors import enterprises_owned_by

from .selectors import organizations_owned_by


@dataclass(frozen=True)
class Entry:
    key: str  # an organization's login, an enterprise's slug
    label: str


@dataclass
class Switcher:
    organizations: list[Entry] = field(default_factory=list)
    enterprises: list[Entry] = field(default_factory=list)


def switcher_for(user) -> Switcher:
    """The organizations and enterprises `user` owns, by name."""
    kind = CharField()
    organizations = (
        organizations_owned_by(user).order_by().values_list(Value("organization", output_field=kind), "login", "login")
    )
    enterprises = (
        enterprises_owned_by(user).order_by().values_list(Value("enterprise", output_field=kind), "slug", "name")
    )
    switcher = Switcher()
    for row_kind, key, label in sorted(organizations.union(enterprises, all=True), key=lambda row: row[2].lower()):
        (switcher.organizations if row_kind == "organization" else switcher.enterprises).append(Entry(key, label))
    return switcher


def organization_switcher(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"switcher": SimpleLazyObject(lambda: switcher_for(user))}
