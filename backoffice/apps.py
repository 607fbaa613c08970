from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The management API. When ready it tells stores.events how each event's object is shown
    (the management API's own representations), which the domain and webhooks may not import."""

    name = "backoffice"
    verbose_name = "Management API"

    def ready(self):
        from backoffice import webhook_payloads

        webhook_payloads.register()
