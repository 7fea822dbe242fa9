"""`manage.py seed_demo`: the demo center `make run` starts with (see scheduling/demo/)."""

from django.core.management.base import BaseCommand, CommandError

from scheduling import demo


class Command(BaseCommand):
    help = (
        "Create a believable demo center (11 chairs, 8 nurses, hours, holidays, ~1,550 patients "
        "with lab histories, 90 days of history with actual times, today under way, demo staff "
        "logins) and book the next two weeks through the booking services. Safe to run again: "
        "a seeded database is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients",
            type=int,
            default=demo.DEFAULT_PATIENTS,
            help=f"How many demo patients (default {demo.DEFAULT_PATIENTS}; tests use fewer).",
        )

    def handle(self, *args, **options):
        count = options["patients"]
        if count < 1 or count > 5000:
            raise CommandError("--patients must be between 1 and 5000.")
        report = demo.seed(patients=count, stdout=self.stdout if options["verbosity"] > 0 else None)
        if report.already_seeded:
            self.stdout.write(
                self.style.WARNING(
                    "Demo data is already seeded (demo patients exist); nothing was changed."
                )
            )
            return
        for line in demo.lines(report):
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo center ready. Staff logins: manager, frontdesk, nurse1..nurse8 "
                f"(password {demo.DEMO_PASSWORD})."
            )
        )
