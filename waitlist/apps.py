from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "waitlist"
    verbose_name = "Waitlist and backfill"

    def ready(self):
        # seed_demo: the waitlist step runs after the bookings exist.
        from scheduling.demo import Step, add_step
        from waitlist.demo import seed_waitlist

        add_step(Step("waitlist", seed_waitlist), after="bookings")
