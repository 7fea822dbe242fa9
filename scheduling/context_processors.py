from django.conf import settings


def clinic(request):
    """Center name and the user's roles for the navigation."""
    user = getattr(request, "user", None)
    roles = set()
    if user is not None and user.is_authenticated:
        roles = set(user.groups.values_list("name", flat=True))
        if user.is_superuser:
            roles |= {"manager", "front_desk", "nurse"}
    return {"CENTER_NAME": settings.CENTER_NAME, "user_roles": roles}
