"""What an endpoint may be: an http(s) URL to a public address unless an operator allows private ones (no SSRF)."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError

from organizations.validators import single_line_text

from .choices import WebhookEvent


def address_refused(address: str) -> str | None:
    """Why `address` may not be a webhook target, or None: loopback, private, link-local, multicast, reserved."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone ("fe80::1%eth0") names no other host
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_global and not ip.is_multicast:
        return None
    if settings.PATROL_WEBHOOKS_ALLOW_PRIVATE_TARGETS and not ip.is_multicast and not ip.is_unspecified:
        return None
    kind = next(
        (
            words
            for test, words in (
                (ip.is_loopback, "a loopback address"),
                (ip.is_link_local, "a link-local address"),
                (ip.is_multicast, "a multicast address"),
                (ip.is_unspecified, "an unspecified address"),
                (ip.is_private, "a private address"),
            )
            if test
        ),
        "a reserved address",
    )
    return f"{address} is {kind}; webhooks go only to public addresses."


def literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def validate_target_url(value: str) -> None:
    """The URL's shape, and its host when that is an address; names are checked when resolved (transport)."""
    single_line_text(value)
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValidationError("Enter a valid URL.", code="invalid") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Use an http:// or https:// URL.", code="scheme")
    if not parts.hostname:
        raise ValidationError("The URL needs a host name.", code="host")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Leave user names and passwords out of the URL; the secret signs each delivery.")
    if port == 0:
        raise ValidationError("Enter a valid URL.", code="invalid")
    if parts.fragment:
        raise ValidationError("Leave the #fragment out of the URL: it is never sent.", code="fragment")
    address = literal_address(parts.hostname)
    if address is not None and (why := address_refused(address)):
        raise ValidationError(why, code="private")


def validate_events(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError("Choose at least one event.", code="required")
    unknown = [event for event in value if event not in WebhookEvent.values]
    if unknown:
        raise ValidationError("Not an event: %(events)s.", params={"events": ", ".join(map(str, unknown))})
