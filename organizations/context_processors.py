"""The organization switcher in the site's header (templates/base.html).

Lazy: the queries run only when a page's layout shows the switcher.
"""

from django.utils.functional import SimpleLazyObject

from enterprises.selectors import enterprises_owned_by

from .selectors import organizations_owned_by


def organization_switcher(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "switcher_organizations": SimpleLazyObject(lambda: list(organizations_owned_by(user).order_by("login"))),
        "switcher_enterprises": SimpleLazyObject(lambda: list(enterprises_owned_by(user).order_by("name"))),
    }
