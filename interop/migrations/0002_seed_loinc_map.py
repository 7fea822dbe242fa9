"""Seed the LOINC map for the catalogue's lab tests; managers get the interop permissions."""

from django.db import migrations


def seed(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from interop.loinc import load_loinc_map

    load_loinc_map(get_model=apps.get_model)
    app_config = apps.get_app_config("interop")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    manager, _ = Group.objects.get_or_create(name="manager")
    manager.permissions.add(*Permission.objects.filter(content_type__app_label="interop"))


class Migration(migrations.Migration):
    dependencies = [
        ("interop", "0001_initial"),
        ("scheduling", "0005_load_catalogue"),
        ("scheduling", "0003_roles"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
