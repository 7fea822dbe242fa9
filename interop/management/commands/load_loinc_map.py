"""manage.py load_loinc_map: (re)load interop/data/loinc_map.yaml into the LOINC map."""

from django.core.management.base import BaseCommand

from interop.loinc import load_loinc_map


class Command(BaseCommand):
    help = "Create the seeded LOINC -> lab test mappings that are missing (--update overwrites)."

    def add_arguments(self, parser):
        parser.add_argument("--update", action="store_true", help="Overwrite edited mappings.")

    def handle(self, *args, update=False, **options):
        written = load_loinc_map(update=update)
        self.stdout.write(f"{written} LOINC mapping(s) written.")
