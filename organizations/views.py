from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import organizations_of, organizations_owned_by


@login_required
def home(request):
    return render(
        request,
        "home.html",
        {
            "memberships": organizations_of(request.user).order_by("login"),
            "owned_ids": set(organizations_owned_by(request.user).values_list("pk", flat=True)),
        },
    )
