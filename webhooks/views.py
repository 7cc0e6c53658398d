"""Organization settings → Webhooks (behaviour §5.6): owners only; members, outsiders and other ids get 404."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from organizations.selectors import organization_for_owner

from .forms import WebhookForm
from .notifications import body_of, headers_of
from .selectors import delivery_of, delivery_states, endpoint_of, endpoints_of
from .services import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_update, webhook_redeliver

RECENT_DELIVERIES = 25


def _render(request, template, organization, status=200, **context):
    return render(
        request, template, {"organization": organization, "sidebar_active": "webhooks", **context}, status=status
    )


def _save(form, save) -> bool:
    """Run `save` with the form's values; a refusal lands on the field it names. True if saved."""
    if not form.is_valid():
        return False
    try:
        save(**form.cleaned_data)
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
        return False
    return True


@login_required
@require_http_methods(["GET"])
def webhook_list(request, login):
    organization = organization_for_owner(request.user, login)
    endpoints = list(endpoints_of(organization=organization).order_by("id"))
    return _render(request, "webhooks/list.html", organization, endpoints=endpoints)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_new(request, login):
    organization = organization_for_owner(request.user, login)
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _save(
            form,
            lambda **values: webhook_endpoint_create(organization=organization, actor=request.user, **values),
        ):
            messages.success(request, "Webhook added. Events you chose are delivered from now on.")
            return redirect("webhooks:org-list", organization.login)
        messages.error(request, "Nothing was saved. Fix the errors below and click Add webhook.")
    return _render(request, "webhooks/form.html", organization, form=form, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, login, pk):
    organization = organization_for_owner(request.user, login)
    endpoint = endpoint_of(pk, organization=organization)
    if request.method == "POST":
        form = WebhookForm(request.POST, editing=True)
        if _save(form, lambda **values: webhook_endpoint_update(endpoint=endpoint, actor=request.user, **values)):
            messages.success(request, "Webhook saved.")
            return redirect("webhooks:org-edit", organization.login, endpoint.pk)
        messages.error(request, "Nothing was saved. Fix the errors below and click Save.")
    else:
        form = WebhookForm(
            initial={"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}, editing=True
        )
    deliveries = list(endpoint.deliveries.order_by("-id")[:RECENT_DELIVERIES])
    states = delivery_states(deliveries)
    return _render(
        request,
        "webhooks/form.html",
        organization,
        status=400 if form.errors else 200,
        form=form,
        endpoint=endpoint,
        deliveries=[(delivery, states[delivery.pk]) for delivery in deliveries],
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, login, pk):
    organization = organization_for_owner(request.user, login)
    endpoint = endpoint_of(pk, organization=organization)
    if request.method == "POST":
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Webhook to {endpoint.url} deleted.")
        return redirect("webhooks:org-list", organization.login)
    here = reverse("webhooks:org-edit", args=[organization.login, endpoint.pk])
    response = _render(
        request,
        "organizations/confirm.html",
        organization,
        title="Delete this webhook?",
        consequence=(
            f"Deliveries to {endpoint.url} stop, and its delivery history is deleted with it. This cannot be undone."
        ),
        button="Delete webhook",
        action_url=reverse("webhooks:org-delete", args=[organization.login, endpoint.pk]),
        cancel_url=here,
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delivery(request, login, pk, delivery_pk):
    """One delivery: its request, each attempt's answer; POST is Redeliver (a new delivery, same body and guid)."""
    organization = organization_for_owner(request.user, login)
    endpoint = endpoint_of(pk, organization=organization)
    delivery = delivery_of(delivery_pk, endpoint=endpoint)
    if request.method == "POST":
        try:
            again = webhook_redeliver(delivery=delivery, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("webhooks:org-delivery", organization.login, endpoint.pk, delivery.pk)
        messages.success(request, "Redelivery sent. Its attempt is shown below.")
        return redirect("webhooks:org-delivery", organization.login, endpoint.pk, again.pk)
    body = body_of(delivery)  # as the receiver gets it: the headers sign this
    return _render(
        request,
        "webhooks/delivery.html",
        organization,
        endpoint=endpoint,
        delivery=delivery,
        state=delivery_states([delivery])[delivery.pk],
        headers=headers_of(delivery, body),
        pretty_body=json.dumps(delivery.payload, indent=2, ensure_ascii=False),
    )
