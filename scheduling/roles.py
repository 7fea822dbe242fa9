"""Staff roles are groups: front_desk books, nurse runs the day, manager configures.

Used by migration 0003 and by tests (a flushed test database loses migration data).
"""

FRONT_DESK, NURSE, MANAGER = "front_desk", "nurse", "manager"
# The charge nurse runs the floor: a nurse who may also correct a wrong no-show, check-in or
# completion (services.correct_session). Give a user both the nurse and charge_nurse groups.
CHARGE_NURSE = "charge_nurse"
ROLES = (FRONT_DESK, NURSE, CHARGE_NURSE, MANAGER)
# Who may correct the day's record after the fact.
CORRECTORS = frozenset({CHARGE_NURSE, MANAGER})

# Orders, authorizations, measurements and allergies are written through the pages and API
# (audited services); every clinic role may look at them in admin.
ORDERS_VIEW = [
    "view_treatmentorder",
    "view_authorization",
    "view_bodymeasurement",
    "view_allergy",
]

ROLE_PERMS = {
    FRONT_DESK: {
        "scheduling": [
            "view_chair",
            "view_nurse",
            "view_protocol",
            "view_doserule",
            "view_labrequirement",
            "view_infusionsession",
            "add_infusionsession",
            "change_infusionsession",
            "view_series",
            "add_series",
            "view_reminder",
            "view_closure",
            "view_openinghours",
        ],
        "patients": [
            "view_patient",
            "add_patient",
            "change_patient",
            "view_patientprotocol",
            "add_patientprotocol",
            "change_patientprotocol",
            "view_labresult",
        ],
        "orders": ORDERS_VIEW,
    },
    NURSE: {
        "scheduling": [
            "view_chair",
            "view_nurse",
            "view_protocol",
            "view_doserule",
            "view_labrequirement",
            "view_infusionsession",
            "change_infusionsession",
            "view_reminder",
        ],
        "patients": [
            "view_patient",
            "view_patientprotocol",
            "view_labresult",
            "add_labresult",
            "change_labresult",
        ],
        "orders": ORDERS_VIEW,
    },
}
# The charge nurse's group adds the right to correct; its model permissions are a nurse's.
ROLE_PERMS[CHARGE_NURSE] = ROLE_PERMS[NURSE]


def ensure_roles(apps=None) -> None:
    """Create the groups and give them their permissions; safe to run again."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
        from django.contrib.auth.management import create_permissions

        for app_config in global_apps.get_app_configs():
            create_permissions(app_config, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMS.items():
        group, _ = Group.objects.get_or_create(name=role)
        for app_label, codenames in perms.items():
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label, codename__in=codenames
                )
            )
    manager, _ = Group.objects.get_or_create(name=MANAGER)
    manager.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["scheduling", "patients", "orders", "authtoken", "interop"]
        )
    )


def roles_of(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return set(ROLES)
    return set(user.groups.values_list("name", flat=True))
