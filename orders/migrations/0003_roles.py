"""The clinic roles get their orders permissions (see scheduling.roles)."""

from django.db import migrations


def roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    from scheduling.roles import ensure_roles

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps)


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_load_prices"), ("scheduling", "0003_roles")]
    operations = [migrations.RunPython(roles, migrations.RunPython.noop)]
