"""Celery app: broker and schedule come from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")

app = Celery("infusion_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
