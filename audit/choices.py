"""The audit log's words: a name for every action the code records (behaviour §8).

`tests/audit/test_action_names.py` reads every `action=` the product passes
and fails when one has no name here.
"""

ACTION_NAMES: dict[str, str] = {
    # Fine-grained and classic tokens.
    "personal_access_token.created": "Token created",
    "personal_access_token.updated": "Token edited",
    "personal_access_token.regenerated": "Token regenerated",
    "personal_access_token.rotated": "Token rotated",
    "personal_access_token.revoked": "Token revoked",
    "personal_access_token.revoked_as_leaked": "Token revoked as leaked",
    "personal_access_token.deleted": "Token deleted",
    "personal_access_token.request_created": "Token request created",
    "personal_access_token.request_cancelled": "Token request cancelled",
    "personal_access_token.request_denied": "Token request denied",
    "personal_access_token.access_granted": "Token access granted",
    "personal_access_token.access_revoked": "Token access revoked",
    # SSH keys.
    "ssh_key.created": "SSH key created",
    "ssh_key.deleted": "SSH key deleted",
    "ssh_key.access_revoked": "SSH key access revoked",
    # Organizations.
    "organization.created": "Organization created",
    "organization.member_added": "Member added",
    "organization.member_removed": "Member removed",
    "organization.owner_added": "Owner added",
    "organization.owner_removed": "Owner removed",
    "organization.fine_grained_opted_in": "Organization opted in to fine-grained tokens",
    "organization.pat_policy_changed": "Organization token policy changed",
    "organization.pat_policy_staged": "Organization token policy staged as report only",
    "organization.pat_policy_staging_discarded": "Organization report-only token policy discarded",
    "organization.pat_policy_staging_enforced": "Organization report-only token policy enforced",
    "repository.created": "Repository created",
    # Enterprises.
    "enterprise.created": "Enterprise created",
    "enterprise.owner_added": "Enterprise owner added",
    "enterprise.owner_removed": "Enterprise owner removed",
    "enterprise.managed_user_added": "Managed user added",
    "enterprise.fine_grained_opted_in": "Enterprise opted in to fine-grained tokens",
    "enterprise.pat_policy_changed": "Enterprise token policy changed",
    "enterprise.pat_policy_staged": "Enterprise token policy staged as report only",
    "enterprise.pat_policy_staging_discarded": "Enterprise report-only token policy discarded",
    "enterprise.pat_policy_staging_enforced": "Enterprise report-only token policy enforced",
    # The site.
    "user.site_administrator_added": "Site administrator added",
    "api_client.created": "API client created",
    "api_client.revoked": "API client revoked",
    "outbox.email_retried": "Email retried",
    # Webhooks.
    "webhook.created": "Webhook added",
    "webhook.updated": "Webhook edited",
    "webhook.deleted": "Webhook deleted",
    "webhook.redelivered": "Webhook delivery redelivered",
}

# Labels of the values events keep in `data`, for the "Details" column.
DETAIL_LABELS: dict[str, str] = {
    "name": "Name",
    "note": "Note",
    "title": "Title",
    "description": "Description",
    "user": "User",
    "reason": "Reason",
    "why": "Why",
    "by": "By",
    "repository": "Repository",
    "visibility": "Visibility",
    "repository_access": "Repository access",
    "repository_ids": "Repositories",
    "repositories": "Repositories",
    "permissions": "Permissions",
    "scopes": "Scopes",
    "token_type": "Type",
    "auto_approved": "Approved automatically",
    "fingerprint": "Fingerprint",
    "expires_at": "Expires",
    "email_id": "Email",
    "kind": "Kind",
    "attempts": "Attempts",
    "last_error": "Last error",
    "fields": "Fields",
    # The PAT policies (behaviour §3).
    "fine_grained_access": "Fine-grained token access",
    "fine_grained_approval": "Fine-grained token approval",
    "classic_access": "Classic token access",
    "fine_grained_max_lifetime_days": "Fine-grained token maximum lifetime (days)",
    "classic_max_lifetime_days": "Classic token maximum lifetime (days)",
    "max_lifetime_exempts_owners": "Maximum lifetimes exempt administrators",
    "revoke_unused_after_days": "Revoke tokens unused for (days)",
}


def action_name(action: str) -> str:
    """The action's name in words; an action without one reads as itself."""
    return ACTION_NAMES.get(action, action)


def detail_label(key: str) -> str:
    return DETAIL_LABELS.get(key) or key.replace("_", " ").capitalize()
