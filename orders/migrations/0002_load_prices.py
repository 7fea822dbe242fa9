"""A fresh database gets the illustrative price tables from orders/data/prices.yaml."""

from django.db import migrations


def load(apps, schema_editor):
    from orders.prices import load_prices

    load_prices(get_model=apps.get_model, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
