"""The API's token clients (tests/api/conftest.py) for the hardening tests."""

from tests.api.conftest import client_as, desk, manager_api, nurse_api  # noqa: F401
