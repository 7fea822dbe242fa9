"""Styled 403/404/500 pages with a way back, and an ordinary 403 logged without a traceback."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from django.urls import path


def _boom(request):
    raise RuntimeError("kaboom")


urlpatterns = [path("boom/", _boom)]
handler500 = "infusion_center.errors.server_error"


def test_not_found_page(client, make_staff):
    client.force_login(make_staff("front_desk"))
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing at this address" in body
    assert 'href="/"' in body and "Back to your start page" in body
    assert 'rel="stylesheet"' in body


def test_forbidden_page_and_its_log_line(client, make_staff, caplog):
    client.force_login(make_staff("front_desk"))
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/utilization/")
    assert response.status_code == 403
    assert "This page is not for your role" in response.content.decode()
    assert "Back to your start page" in response.content.decode()
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records and records[0].status_code == 403
    # The filter on the console handler takes the traceback off 4xx records.
    from infusion_center.logs import QuietClientErrors

    record = records[0]
    assert QuietClientErrors().filter(record) is True
    assert record.exc_info is None
    handler = logging.getHandlerByName("console") if hasattr(logging, "getHandlerByName") else None
    if handler is not None:
        assert "Traceback" not in handler.format(record)


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_server_error_page(client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and 'href="/"' in body


def test_log_lines_have_one_clock():
    from infusion_center.logs import OneClockFormatter

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    record.created = 1_800_000_000  # 2027-01-15T08:00:00Z
    line = OneClockFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s").format(record)
    assert line == "2027-01-15T08:00:00Z INFO x: hello"


def test_celery_uses_the_same_logging():
    from celery.signals import setup_logging
    from django.conf import settings

    import infusion_center.celery  # noqa: F401

    assert setup_logging.receivers, "worker and beat would install their own log format"
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "clock"
