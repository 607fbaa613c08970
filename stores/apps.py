from django.apps import AppConfig


class StoresConfig(AppConfig):
    name = "stores"
    verbose_name = "Stores"

    def ready(self):
        from stores import services  # noqa: F401 - connects the key cache's invalidation
        from stores.api import schema  # noqa: F401 - registers the secret key's OpenAPI scheme
