from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from policies.signals import pat_policy_changed

        from . import services

        # Policies announce a save with a signal: the policy feature sits below the apps it serves.
        pat_policy_changed.connect(services.policy_changed_receiver, dispatch_uid="webhooks-policy-changed")
