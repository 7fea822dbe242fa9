"""Celery app: broker and schedule come from Django settings (CELERY_* names)."""

import os

from celery import Celery
from celery.signals import setup_logging, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")

app = Celery("infusion_center")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_gc_in_worker(**kwargs):
    from infusion_center.gc_tuning import tune_gc

    tune_gc()


@setup_logging.connect
def _use_django_logging(**kwargs):
    """Worker and beat log through settings.LOGGING (one format, one clock with the web
    server) instead of Celery's own handler and local-time format."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
