from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self):
        # Every date field of the API, the forms and the models refuses year 1 and year 9999
        # (scheduling/api/limits.py): installed once here so later endpoints are covered too.
        from scheduling.api.limits import install_date_bounds, install_strict_text

        install_date_bounds()
        install_strict_text()
