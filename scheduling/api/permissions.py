"""Who may do what over the API, by clinic role (scheduling.roles).

front_desk and manager book, move and cancel and create patients; nurses read everything and
run the day of the infusion (check-in, REMS check, start, complete, no-show, confirm) but
never book or cancel. An authenticated user with no role gets 403.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from scheduling.roles import FRONT_DESK, MANAGER, NURSE, roles_of

STAFF = frozenset({FRONT_DESK, NURSE, MANAGER})
BOOKERS = frozenset({FRONT_DESK, MANAGER})
# The front desk checks patients in and takes confirmations by phone; clinical steps are nurses'.
DAY_OF = frozenset({NURSE, MANAGER})
DESK_DAY_OF = frozenset({FRONT_DESK, NURSE, MANAGER})


def request_roles(request) -> set[str]:
    """Roles of the request's user, looked up once per request."""
    cached = getattr(request, "_clinic_roles", None)
    if cached is None:
        cached = roles_of(request.user)
        request._clinic_roles = cached
    return cached


class ByRole(BasePermission):
    """Reads need one of view.read_roles, writes one of view.write_roles."""

    message = "Your role may not do this."

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        needed = view.read_roles if request.method in SAFE_METHODS else view.write_roles
        return bool(request_roles(request) & needed)
