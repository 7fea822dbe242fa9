"""The API's token clients (tests/api/conftest.py) and the SMTP server of the reminder tests."""

from tests.api.conftest import book, client_as, desk, manager_api, nurse_api  # noqa: F401
from tests.reminders.conftest import smtp_server  # noqa: F401
