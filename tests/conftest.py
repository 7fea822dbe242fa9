"""Shared fixtures. Tests run on whatever DATABASE_URL says; `make test` points it at PostgreSQL.

Services that a test needs (PostgreSQL, Redis, Chromium, a Celery worker) are checked by the
markers in tests/services.py: missing ones skip with a message naming what to install, except
with CI=true, where a missing service fails the run.
"""

import pytest

from tests.services import _fail_missing_service, require_marked_services  # noqa: F401


def pytest_collection_modifyitems(config, items):
    require_marked_services(items)


@pytest.fixture
def center(db):
    from scheduling.models import CenterSettings

    return CenterSettings.load()
