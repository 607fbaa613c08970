from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The staff console's own pages (dashboard, store switcher); each app has its sections."""

    name = "console"
    verbose_name = "Console"
