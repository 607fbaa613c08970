from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Stores"

    def ready(self):
        from stores.api import schema  # noqa: F401 - registers the secret key's OpenAPI scheme
