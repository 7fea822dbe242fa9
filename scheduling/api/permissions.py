"""Who may do what over the API, by clinic role (scheduling.roles).

front_desk and manager book, move and cancel and create patients; nurses read everything and
run the day of the infusion (check-in, REMS check, start, complete, no-show, confirm) but
never book or cancel. An authenticated user with no role gets 403.
"""

from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission

from scheduling.roles import CHARGE_NURSE, CORRECTORS, FRONT_DESK, MANAGER, NURSE, ROLES, roles_of

STAFF = frozenset({FRONT_DESK, NURSE, CHARGE_NURSE, MANAGER})
BOOKERS = frozenset({FRONT_DESK, MANAGER})
# The front desk checks patients in and takes confirmations by phone; clinical steps are nurses'.
DAY_OF = frozenset({NURSE, CHARGE_NURSE, MANAGER})
DESK_DAY_OF = frozenset({FRONT_DESK, NURSE, CHARGE_NURSE, MANAGER})
# Corrections of the day's record (a wrong no-show, check-in or completion).
CORRECT = CORRECTORS


def request_roles(request) -> set[str]:
    """Roles of the request's user, looked up once per request (read with the token when the
    user came in by TokenWithRoles)."""
    cached = getattr(request, "_clinic_roles", None)
    if cached is None:
        cached = getattr(request.user, "_clinic_roles", None)
        if cached is None:
            cached = roles_of(request.user)
        request._clinic_roles = cached
    return cached


class TokenWithRoles(TokenAuthentication):
    """DRF's token authentication, reading the user's role names in the same query (on
    PostgreSQL): the separate group lookup was a second round trip on every API request."""

    def authenticate_credentials(self, key):
        if connection.vendor != "postgresql":
            return super().authenticate_credentials(key)
        model = self.get_model()
        roles = ArraySubquery(Group.objects.filter(user=OuterRef("user_id")).values("name"))
        try:
            token = model.objects.select_related("user").annotate(clinic_roles=roles).get(key=key)
        except model.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        # The same answer as roles_of(user), for this request's user object only.
        user._clinic_roles = set(ROLES) if user.is_superuser else set(token.clinic_roles)
        return (user, token)


class ByRole(BasePermission):
    """Reads need one of view.read_roles, writes one of view.write_roles."""

    message = "Your role may not do this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = view.read_roles if request.method in SAFE_METHODS else view.write_roles
        return bool(request_roles(request) & needed)
