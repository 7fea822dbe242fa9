"""Which real services this machine has, and what a test does when one is missing.

Locally a missing service skips the tests that need it, naming what to install. With CI=true
it fails them: CI must never report a pass for a test that did not run.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket

import pytest
from django.conf import settings

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@functools.cache
def missing(marker: str) -> str | None:
    """None when the service for `marker` is there, else what to do about it."""
    if marker == "postgres":
        if not settings.IS_POSTGRES:
            return "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/infusion (make test does)"
        return None
    if marker == "redis":
        if not _port_open("127.0.0.1", 6379):
            return "needs Redis on 127.0.0.1:6379 (apt-get install redis-server)"
        return None
    if marker == "e2e":
        if not os.path.exists(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")):
            return "needs Chromium at /usr/bin/chromium (apt-get install -y chromium)"
        return None
    if marker == "celery_worker":
        if not _port_open("127.0.0.1", 6379):
            return "needs Redis on 127.0.0.1:6379 for the real Celery worker"
        return None
    if marker == "smtp":
        return None
    return None


def require_marked_services(items) -> None:
    for item in items:
        for marker in ("postgres", "redis", "e2e", "celery_worker", "smtp"):
            if item.get_closest_marker(marker) is None:
                continue
            why = missing(marker)
            if why is None:
                continue
            if CI:
                item.add_marker(pytest.mark.usefixtures("_fail_missing_service"))
                item.user_properties.append(("missing_service", why))
            else:
                item.add_marker(pytest.mark.skip(reason=why))


@pytest.fixture
def _fail_missing_service(request):
    why = dict(request.node.user_properties).get("missing_service", "a service is missing")
    pytest.fail(f"CI=true and {why}")


def which_chromium() -> str:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
