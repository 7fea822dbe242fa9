"""Authentication backends: django-axes in front of the password check."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend


class LoginAttemptsBackend(AxesStandaloneBackend):
    """Refuses a locked-out username/address pair before its password is checked.

    Every sign-in surface of the app (the staff login page, the admin) passes the request.
    Calls without one (management commands, the test client's `login()`) are not sign-ins
    from the network, so they are left to the next backend instead of failing."""

    def authenticate(self, request=None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
