"""Settings → Webhooks (behaviour §5.7), for an organization's owners on the site and an enterprise's in the admin.

One set of views serves both: a `_Scope` says whose webhooks they are, where
its pages live and which frame draws them. Members, outsiders, another owner's
webhook or delivery ids all answer 404.
"""

import json
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from enterprises.selectors import enterprise_for_owner
from organizations.selectors import organization_for_owner
from tenancy.admin import render_admin_page

from .forms import WebhookForm
from .notifications import body_of, headers_of
from .selectors import delivery_of, delivery_states, endpoint_of, endpoints_of
from .services import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_update, webhook_redeliver

RECENT_DELIVERIES = 25


@dataclass(frozen=True)
class _Scope:
    organization: object = None
    enterprise: object = None

    @property
    def owner(self) -> dict:
        return {"organization": self.organization} if self.organization else {"enterprise": self.enterprise}

    def url(self, name: str, *args) -> str:
        if self.organization:
            return reverse(f"webhooks:org-{name}", args=[self.organization.login, *args])
        return reverse(f"enterprise_webhook_{name}", args=[self.enterprise.slug, *args])

    def render(self, request, template, *, title: str, status: int = 200, **context):
        context = {"list_url": self.url("list"), "new_url": self.url("new"), **context}
        if self.organization:
            context.update(organization=self.organization, sidebar_active="webhooks")
            context["base_template"] = "webhooks/organization_base.html"
            return render(request, template, context, status=status)
        context.update(enterprise=self.enterprise, sidebar_active="webhooks")
        return render_admin_page(
            request, template, title=title, status=status, base_template="webhooks/enterprise_base.html", **context
        )


def _organization(request, login) -> _Scope:
    return _Scope(organization=organization_for_owner(request.user, login))


def _enterprise(request, slug) -> _Scope:
    return _Scope(enterprise=enterprise_for_owner(request.user, slug))


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


def _list(request, scope: _Scope):
    endpoints = [(endpoint, scope.url("edit", endpoint.pk)) for endpoint in endpoints_of(**scope.owner).order_by("id")]
    return scope.render(request, "webhooks/list.html", title="Webhooks", endpoints=endpoints)


def _new(request, scope: _Scope):
    form = WebhookForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if _save(form, lambda **values: webhook_endpoint_create(actor=request.user, **scope.owner, **values)):
            messages.success(request, "Webhook added. Events you chose are delivered from now on.")
            return redirect(scope.url("list"))
        messages.error(request, "Nothing was saved. Fix the errors below and click Add webhook.")
    return scope.render(
        request, "webhooks/form.html", title="Add webhook", form=form, status=400 if form.errors else 200
    )


def _edit(request, scope: _Scope, pk):
    endpoint = endpoint_of(pk, **scope.owner)
    if request.method == "POST":
        form = WebhookForm(request.POST, editing=True)
        if _save(form, lambda **values: webhook_endpoint_update(endpoint=endpoint, actor=request.user, **values)):
            messages.success(request, "Webhook saved.")
            return redirect(scope.url("edit", endpoint.pk))
        messages.error(request, "Nothing was saved. Fix the errors below and click Save.")
    else:
        form = WebhookForm(
            initial={"url": endpoint.url, "events": endpoint.events, "active": endpoint.active}, editing=True
        )
    deliveries = list(endpoint.deliveries.order_by("-id")[:RECENT_DELIVERIES])
    states = delivery_states(deliveries)
    return scope.render(
        request,
        "webhooks/form.html",
        title="Webhook",
        status=400 if form.errors else 200,
        form=form,
        endpoint=endpoint,
        deliveries=[
            (delivery, states[delivery.pk], scope.url("delivery", endpoint.pk, delivery.pk)) for delivery in deliveries
        ],
        delete_url=scope.url("delete", endpoint.pk),
    )


def _delete(request, scope: _Scope, pk):
    endpoint = endpoint_of(pk, **scope.owner)
    if request.method == "POST":
        webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
        messages.success(request, f"Webhook to {endpoint.url} deleted.")
        return redirect(scope.url("list"))
    response = scope.render(
        request,
        "webhooks/delete.html",
        title="Delete this webhook?",
        endpoint=endpoint,
        action_url=scope.url("delete", endpoint.pk),
        cancel_url=scope.url("edit", endpoint.pk),
    )
    response["Cache-Control"] = "no-store"
    return response


def _delivery(request, scope: _Scope, pk, delivery_pk):
    """One delivery: its request, each attempt's answer; POST is Redeliver (a new delivery, same body and guid)."""
    endpoint = endpoint_of(pk, **scope.owner)
    delivery = delivery_of(delivery_pk, endpoint=endpoint)
    if request.method == "POST":
        try:
            again = webhook_redeliver(delivery=delivery, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(scope.url("delivery", endpoint.pk, delivery.pk))
        messages.success(request, "Redelivery sent. Its attempt is shown below.")
        return redirect(scope.url("delivery", endpoint.pk, again.pk))
    body = body_of(delivery)  # as the receiver gets it: the headers sign this
    return scope.render(
        request,
        "webhooks/delivery.html",
        title="Delivery",
        endpoint=endpoint,
        edit_url=scope.url("edit", endpoint.pk),
        delivery=delivery,
        state=delivery_states([delivery])[delivery.pk],
        headers=headers_of(delivery, body),
        pretty_body=json.dumps(delivery.payload, indent=2, ensure_ascii=False),
    )


# The organization's pages, on the site.


@login_required
@require_http_methods(["GET"])
def webhook_list(request, login):
    return _list(request, _organization(request, login))


@login_required
@require_http_methods(["GET", "POST"])
def webhook_new(request, login):
    return _new(request, _organization(request, login))


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request, login, pk):
    return _edit(request, _organization(request, login), pk)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request, login, pk):
    return _delete(request, _organization(request, login), pk)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delivery(request, login, pk, delivery_pk):
    return _delivery(request, _organization(request, login), pk, delivery_pk)


# The enterprise's pages, in the admin's frame (wrapped in `admin_site.admin_view` by webhooks.urls).


@require_http_methods(["GET"])
def enterprise_webhook_list(request, slug):
    return _list(request, _enterprise(request, slug))


@require_http_methods(["GET", "POST"])
def enterprise_webhook_new(request, slug):
    return _new(request, _enterprise(request, slug))


@require_http_methods(["GET", "POST"])
def enterprise_webhook_edit(request, slug, pk):
    return _edit(request, _enterprise(request, slug), pk)


@require_http_methods(["GET", "POST"])
def enterprise_webhook_delete(request, slug, pk):
    return _delete(request, _enterprise(request, slug), pk)


@require_http_methods(["GET", "POST"])
def enterprise_webhook_delivery(request, slug, pk, delivery_pk):
    return _delivery(request, _enterprise(request, slug), pk, delivery_pk)
