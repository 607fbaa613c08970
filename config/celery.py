"""The Celery app: `python -m celery -A config worker -l info` (make worker) and
`python -m celery -A config beat -l info` (make beat). Settings are the CELERY_* ones of
config/settings.py; tasks are the `tasks` modules of the apps (customers, loyalty)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
