"""Staff roles as groups: front_desk books, nurse runs the day, manager configures."""

from django.db import migrations

ROLE_PERMS = {
    "front_desk": {
        "scheduling": ["view_chair", "view_nurse", "view_protocol", "view_doserule", "view_labrequirement",
                       "view_infusionsession", "add_infusionsession", "change_infusionsession",
                       "view_series", "add_series", "view_reminder", "view_closure", "view_openinghours"],
        "patients": ["view_patient", "add_patient", "change_patient", "view_patientprotocol",
                     "add_patientprotocol", "change_patientprotocol", "view_labresult"],
    },
    "nurse": {
        "scheduling": ["view_chair", "view_nurse", "view_protocol", "view_doserule", "view_labrequirement",
                       "view_infusionsession", "change_infusionsession", "view_reminder"],
        "patients": ["view_patient", "view_patientprotocol", "view_labresult", "add_labresult",
                     "change_labresult"],
    },
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    for role, perms in ROLE_PERMS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, codenames in perms.items():
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )
    manager, _ = Group.objects.get_or_create(name="manager")
    manager.permissions.add(
        *Permission.objects.filter(content_type__app_label__in=["scheduling", "patients", "authtoken"])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0002_exclusion_constraints"),
        ("patients", "0002_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
