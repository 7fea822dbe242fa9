"""`manage.py load_protocols [--file PATH] [--update]`: load the drug catalogue from YAML."""

from django.core.management.base import BaseCommand, CommandError

from scheduling.catalogue import DEFAULT_PATH, CatalogueError, load_catalogue


class Command(BaseCommand):
    help = (
        "Load protocols, dose rules, lab tests and lab requirements from the catalogue file. "
        "By default only missing rows are created, so a nurse manager's admin edits are kept; "
        "--update overwrites existing rows with the file's values. Nothing is ever deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--file", default=str(DEFAULT_PATH), help=f"YAML file (default {DEFAULT_PATH})"
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="Overwrite existing rows that differ from the file (admin edits are lost).",
        )

    def handle(self, *args, file, update, **options):
        try:
            report = load_catalogue(file, stdout=self.stdout, update=update)
        except CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        verb = "updated" if update else "kept as edited"
        count = report.total_updated if update else report.total_kept
        self.stdout.write(
            self.style.SUCCESS(f"Catalogue loaded: {report.total_created} created, {count} {verb}.")
        )
