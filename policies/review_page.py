"""The two-step Save of both policy pages: "Review changes", then "Save" (behaviour §5.1, §5.2).

"Review changes" signs the proposed values with the revision they were reviewed
at and shows the review (`?review=<signed>`: its pages and CSV are links).
"Save" posts the form with that signature: the values must be the reviewed
ones at the revision still in force, or nothing is saved and a new review is
asked for. The review itself is `policies.impact`.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core import signing
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from enterprises.audit_log.selectors import csv_cell

from . import impact

SALT = "policies.review"
PAGE_SIZE = 50
NOTHING_TO_REVIEW = "These are the policies in force already: there is nothing to review or save."
STALE_REVIEW = (
    "The policy changed since these changes were reviewed, so nothing was saved. The current values are shown"
    " below; choose again and click Review changes."
)
STALE_FORM = (
    "The policy changed since you loaded it, so nothing was reviewed. The current values are shown below;"
    " choose again and click Review changes."
)
NOT_REVIEWED = "Your choices differ from the ones reviewed, so nothing was saved. Review these changes, then save."
BAD_LINK = "This review link is not valid or has expired. Choose the changes again and click Review changes."
MAX_AGE = 60 * 60  # seconds a review link stays valid


def sign(scope: str, revision: int, values: dict) -> str:
    return signing.dumps({"scope": scope, "revision": revision, "values": values}, salt=SALT)


def unsign(scope: str, text: str) -> dict | None:
    """The signed review (revision, values) for this page, or None for a link not made here."""
    try:
        signed = signing.loads(text, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    return signed if isinstance(signed, dict) and signed.get("scope") == scope else None


def form_data(signed: dict) -> dict:
    """The reviewed values as the form posts them (a checkbox is left out when unticked)."""
    data = {"policy_revision": signed["revision"]}
    for name, value in signed["values"].items():
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:
            data[name] = value
    return data


def changed(instance, values: dict) -> bool:
    return any(getattr(instance, name) != value for name, value in values.items())


def start(request, form, *, instance, scope: str, here: str):
    """POST "Review changes": (status, the review's URL or None). 400 invalid, 409 stale, 200 nothing changed."""
    if not form.is_valid():
        messages.error(request, "Nothing was reviewed. Fix the errors below and click Review changes.")
        return 400, None
    revision = form.cleaned_data["policy_revision"]
    if revision != instance.policy_revision:
        messages.error(request, STALE_FORM)
        return 409, None
    values = form.policy_values()
    if not changed(instance, values):
        messages.info(request, NOTHING_TO_REVIEW)
        return 200, None
    return 200, f"{here}?{urlencode({'review': sign(scope, revision, values)})}"


def reviewed_values_match(request, form, *, scope: str) -> bool:
    """POST "Save": the form's values and revision are the ones the review was made for."""
    signed = unsign(scope, request.POST.get("reviewed", ""))
    return (
        signed is not None
        and form.is_valid()
        and form.cleaned_data["policy_revision"] == signed["revision"]
        and form.policy_values() == signed["values"]
    )


def context(request, signed: dict, *, organizations, level: str) -> dict:
    """The review of the signed values, the page of affected tokens asked for, and its links."""
    result = impact.review(organizations, level=level, values=signed["values"], now=timezone.now())
    token = request.GET["review"]
    page = Paginator(result.affected, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "result": result,
        "page": page,
        "query": urlencode({"review": token}),
        "csv_url": "?" + urlencode({"review": token, "format": "csv"}),
        "token": token,
    }


CSV_HEADER = ["token", "token_type", "holder", "organization", "effect", "reason_now", "reason_after", "reason_words"]


def csv_response(result: impact.Review, *, filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(CSV_HEADER)
        for row in result.affected:
            probe = row.probe
            yield writer.writerow(
                csv_cell(value)
                for value in (
                    probe.token,
                    probe.credential_type,
                    probe.holder,
                    probe.organization,
                    row.effect,
                    row.before,
                    row.after,
                    row.after_words,
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@dataclass
class Step:
    """What the review steps made of a request: a response to send, or the page to show (and whether to save)."""

    instance: object
    form: object = None
    status: int = 200
    review: dict | None = None
    response: HttpResponse | None = None
    save: bool = False


def steps(
    request, *, instance, form_for: Callable, current: Callable, scope: str, here: str, organizations, level: str
) -> Step | None:
    """The review steps of a policy page; None for a request they leave to the page (its plain GET and POST)."""
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "review":
        form = form_for(instance, data=request.POST)
        status, url = start(request, form, instance=instance, scope=scope, here=here)
        if url is not None:
            return Step(instance, response=redirect(url))
        if status == 409:
            instance = current()
            form = form_for(instance)
        return Step(instance, form, status)
    if action == "save":
        form = form_for(instance, data=request.POST)
        if reviewed_values_match(request, form, scope=scope):
            return Step(instance, form, save=True)
        messages.error(request, NOT_REVIEWED)
        return Step(instance, form, 409)
    if request.method != "GET" or "review" not in request.GET:
        return None
    signed = unsign(scope, request.GET["review"])
    if signed is None:
        messages.error(request, BAD_LINK)
        return Step(instance, form_for(instance), 400)
    if signed["revision"] != instance.policy_revision:
        messages.error(request, STALE_REVIEW)
        return Step(instance, form_for(instance), 409)
    review = context(request, signed, organizations=organizations(), level=level)
    if request.GET.get("format") == "csv":
        return Step(instance, response=csv_response(review["result"], filename=f"policy-review-{scope}.csv"))
    return Step(instance, form_for(instance, data=form_data(signed)), review=review)


class _Echo:
    def write(self, value):
        return value
