from django.core.management.base import BaseCommand

from orders.prices import load_prices


class Command(BaseCommand):
    help = "Add the illustrative price tables' missing rows (never overwrites an edit)."

    def handle(self, *args, **options):
        self.stdout.write(f"{load_prices()} price rows created.")
