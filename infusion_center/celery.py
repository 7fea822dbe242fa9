"""Celery app: broker and schedule come from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")

app = Celery("infusion_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc_in_worker(**kwargs):
    from infusion_center.gc_tuning import tune_gc

    tune_gc()
