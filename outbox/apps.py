from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbound email"

    def ready(self):
        # Each app's notifications module registers its senders (as admin.py
        # registers ModelAdmins), so a fresh `deliver_outbox` process knows
        # every kind of email without this app importing the others.
        autodiscover_modules("notifications")
