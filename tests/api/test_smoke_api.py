from tests.factories import fine_grained_token


def test_check(api, cast):
    issued = fine_grained_token(
        cast.alice, resource_owner=cast.acme, repository_access="all", permissions={"contents": "read"}
    )
    response = api.post(
        "/api/v1/access/check",
        {"token": issued.plaintext, "resource": "acme/web", "permission": "contents:read", "explain": True},
        format="json",
    )
    print(response.json())
    assert response.status_code == 200
    response = api.post("/api/v1/introspect", {"token": issued.plaintext}, format="json")
    print(response.json())
    response = api.post(
        "/api/v1/access/check-batch",
        {"checks": [{"token": "x", "resource": "acme", "permission": "members:read"}]},
        format="json",
    )
    print(response.json())
    print(api.get("/api/schema/").status_code)
