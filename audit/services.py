from audit.models import AuditEvent


def audit_record(
    *,
    action: str,
    actor=None,
    enterprise=None,
    organization=None,
    token=None,
    data: dict | None = None,
) -> AuditEvent:
    """Append one event. Call inside the transaction of the change it records."""
    if enterprise is not None:
        enterprise_id = enterprise.pk
    else:
        enterprise_id = organization.enterprise_id if organization is not None else None
    return AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_login=actor.username if actor is not None else "",
        enterprise_id=enterprise_id,
        organization=organization,
        token_id=token.pk if token is not None else None,
        token_type=token.TOKEN_TYPE if token is not None else "",
        data=data or {},
    )
