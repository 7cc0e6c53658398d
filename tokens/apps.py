from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Personal access tokens"

    def ready(self):
        from django.core.exceptions import ImproperlyConfigured
        from django.db.models.signals import post_migrate, pre_migrate

        from organizations.signals import member_removed

        from . import lookups, services  # noqa: F401 (lookups registers field__any)
        from .api import forward_auth
        from .engine import facts_cache, materialized_credentials, materialized_resources, usage

        facts_cache.connect()
        # PostgreSQL's triggers keep credentials' and resources' materialized facts current; migrations
        # run without them.
        for materialized in (materialized_credentials, materialized_resources):
            pre_migrate.connect(materialized.drop_before_migrating, sender=self, dispatch_uid=materialized.__name__)
            post_migrate.connect(materialized.install_after_migrating, sender=self, dispatch_uid=materialized.__name__)
        try:  # an operator's bad route stops the start, naming the row, rather than a request
            forward_auth.routes()
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(f"PATROL_FORWARD_AUTH_ROUTES: {error}") from None
        member_removed.connect(services.member_removed_receiver, dispatch_uid="tokens-member-removed")
        usage.unknown_secrets_seen.connect(services.unknown_secrets_receiver, dispatch_uid="tokens-unknown-secrets")
