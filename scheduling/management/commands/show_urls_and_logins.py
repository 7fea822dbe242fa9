"""Print where the running app lives and how to log in (the last thing `make run` says)."""

import os

from django.conf import settings
from django.core.management.base import BaseCommand

DEMO_PASSWORD = "demo-pass-2026"
DEMO_LOGINS = [
    ("Manager", "manager"),
    ("Front desk", "frontdesk"),
    ("Nurse", "nurse1"),
]


class Command(BaseCommand):
    help = "Print the app, admin and API URLs and the demo logins created by seed_demo."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default=None,
            help="Base URL of the running server (default: http://127.0.0.1:$PORT/, PORT=8000).",
        )

    def handle(self, *args, **options):
        base = options["base_url"] or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}/"
        if not base.endswith("/"):
            base += "/"
        existing = self._existing_usernames()

        w = self.stdout.write
        w("")
        w(self.style.SUCCESS("Infusion center scheduler"))
        w(f"  App        {base}")
        w(f"  Admin      {base}admin/")
        w(f"  API docs   {base}api/docs/")
        w(f"  API schema {base}api/schema/")
        w(f"  Health     {base}healthz")
        w(f"  FHIR R4    {base}fhir/metadata")
        w(
            f"  HL7 MLLP   {settings.HL7_MLLP_HOST}:{settings.HL7_MLLP_PORT} (ORU^R01, ADT^A04/A08/A31)"
        )
        w("")
        w(f"Demo logins (password: {DEMO_PASSWORD})")
        for role, username in DEMO_LOGINS:
            note = ""
            if existing is not None and username not in existing:
                note = "  (not created yet: run `python manage.py seed_demo`)"
            w(f"  {role:<11}{username}{note}")
        w("")
        w("Email and SMS print to the worker's output below. Ctrl-C stops every process.")
        w("")

    @staticmethod
    def _existing_usernames():
        """Usernames that exist, or None when the database cannot be read (not migrated)."""
        try:
            from django.contrib.auth import get_user_model

            names = [u for _, u in DEMO_LOGINS]
            return set(
                get_user_model()
                .objects.filter(username__in=names)
                .values_list("username", flat=True)
            )
        except Exception:
            return None
