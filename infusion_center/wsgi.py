import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
application = get_wsgi_application()

from infusion_center.gc_tuning import tune_gc  # noqa: E402 - after the app is loaded

tune_gc()
