from django.conf import settings


def clinic(request):
    """Center name and the user's roles for the navigation."""
    from scheduling.roles import roles_of

    roles = roles_of(getattr(request, "user", None))
    return {"CENTER_NAME": settings.CENTER_NAME, "user_roles": roles}
