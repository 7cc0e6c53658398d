from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Personal access tokens"

    def ready(self):
        from organizations.signals import member_removed

        from . import lookups, services  # noqa: F401 (lookups registers field__any)
        from .engine import facts_cache, usage

        facts_cache.connect()
        member_removed.connect(services.member_removed_receiver, dispatch_uid="tokens-member-removed")
        usage.unknown_secrets_seen.connect(services.unknown_secrets_receiver, dispatch_uid="tokens-unknown-secrets")
