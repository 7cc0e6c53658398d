from tests.factories import fine_grained_token, pending_request


def request_for(cast, name=None):
    """A pending request of alice's for read access to acme's contents."""
    kwargs = {"name": name} if name else {}
    token = fine_grained_token(cast.alice, resource_owner=cast.acme, permissions={"contents": "read"}, **kwargs).token
    return pending_request(token)
