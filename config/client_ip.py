"""The client's address, for limits that count per address (sign-in throttling)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """REMOTE_ADDR; behind PROXY_COUNT proxies, the address the outermost one saw.

    Each proxy appends the address it received the request from to
    X-Forwarded-For, so the trustworthy entry is PROXY_COUNT from the right;
    anything left of it was written by the client and is ignored.
    """
    remote = request.META.get("REMOTE_ADDR")
    if not settings.PATROL_PROXY_COUNT:
        return remote
    forwarded = [address.strip() for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [address for address in forwarded if address]
    if len(forwarded) < settings.PATROL_PROXY_COUNT:
        return remote
    return forwarded[-settings.PATROL_PROXY_COUNT]
