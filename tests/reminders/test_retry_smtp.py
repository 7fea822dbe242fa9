"""A real SMTP server (aiosmtpd) that answers 451 to the first attempts: retried, then sent once."""

import pytest

from scheduling import services
from scheduling.models import Reminder
from tests.conftest import at
from tests.reminders.conftest import SmtpServer, make_due

pytestmark = [pytest.mark.smtp, pytest.mark.django_db]


def test_smtp_server_failing_the_first_attempts_is_retried_then_sent(
    clinic, clinic_day, make_patient, no_quiet_hours, settings
):
    """In-process claim/deliver against a real SMTP server that answers 451 twice."""
    from scheduling.notifications import dispatch as d

    settings.REMINDER_RETRY_BASE_SECONDS = 0.01
    with SmtpServer(fail_first=2) as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        session = services.book_session(
            patient=make_patient(mobile=""),
            dose_number=1,
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            start=at(clinic_day, 9),
        )
        prep = Reminder.objects.get(session=session, kind="prep")
        results, first_error = [], ""
        for _ in range(5):
            make_due(prep)
            results += [o.result for o in d.dispatch_inline() if o.reminder_id == prep.pk]
            prep.refresh_from_db()
            first_error = first_error or prep.last_error
            if prep.status == "sent":
                break
        assert results == ["retry", "retry", "sent"]
        assert prep.attempts == 3 and first_error.startswith("attempt 1: SMTP 451")
        assert server.handler.refused == 2
        assert [int(m["X-Reminder-Id"]) for m in server.messages] == [prep.pk]
