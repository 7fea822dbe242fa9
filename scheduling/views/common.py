"""Shared by the staff pages: role checks and the home redirect."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils import timezone

from scheduling.roles import FRONT_DESK, MANAGER, NURSE, roles_of
from scheduling.world import center_tz

SLOT_LIMIT = 8
GRID_MINUTES = 15


def role_required(*allowed):
    """Signed-in staff in one of `allowed` roles; others get 403. Pages show the center's clock."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not roles_of(request.user) & set(allowed):
                raise PermissionDenied("Your role cannot open this page.")
            timezone.activate(center_tz())
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def home(request):
    """The landing page sends each role to the page it lives in."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    roles = roles_of(request.user)
    if FRONT_DESK in roles or MANAGER in roles:
        return redirect("board")
    if NURSE in roles:
        return redirect("roster")
    raise PermissionDenied("Your account has no clinic role yet; ask the nurse manager.")
