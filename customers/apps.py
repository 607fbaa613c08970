from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers"

    def ready(self):
        from customers.api import schema  # noqa: F401 - registers the API's OpenAPI security
