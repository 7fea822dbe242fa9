"""A fresh database gets the drug catalogue from scheduling/data/ms_protocols.yaml.

Uses the loader with historical models (apps.get_model). It only creates missing rows, so
running it against a database that already has a catalogue changes nothing. Reversing it
leaves the catalogue in place: sessions may already refer to it.
"""

from django.db import migrations


def load(apps, schema_editor):
    from scheduling.catalogue import load_catalogue

    load_catalogue(get_model=apps.get_model, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_protocol_courses_as_needed")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
