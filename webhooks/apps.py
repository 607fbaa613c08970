from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "webhooks"

    def ready(self):
        from stores import events
        from webhooks import services

        events.writer_register(services.event_write)
