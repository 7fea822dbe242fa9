from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"
    verbose_name = "Waitlist and backfill"
