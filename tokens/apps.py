from django.apps import AppConfig


class TokensConfig(AppConfig):
    name = "tokens"
    verbose_name = "Personal access tokens"

    def ready(self):
        from . import facts_cache, lookups  # noqa: F401 (lookups registers field__any)

        facts_cache.connect()
