"""Logging for every process (web, worker, beat, listeners): one format and one clock.

Every line starts with the instant in UTC, ISO 8601 (``2026-12-02T15:04:05Z``), whichever
process wrote it, so the web server's request lines, the worker's sends and beat's ticks read
in order side by side in the honcho terminal. An ordinary client error (403, 404) is one
warning line: Django attaches the PermissionDenied or Http404 traceback to it, which is noise.
"""

from __future__ import annotations

import logging
import time


class OneClockFormatter(logging.Formatter):
    converter = time.gmtime

    def formatTime(self, record, datefmt=None):  # noqa: N802 - logging's API
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(record.created))


class QuietClientErrors(logging.Filter):
    """Drop the traceback from 4xx request log records (django.request, django.security)."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


def config(level: str) -> dict:
    """The LOGGING dict settings.py uses."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "clock": {
                "()": OneClockFormatter,
                "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
            }
        },
        "filters": {"quiet_client_errors": {"()": QuietClientErrors}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "clock",
                "filters": ["quiet_client_errors"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Axes logs every sign-in at INFO; lockouts and failures are WARNING and stay visible.
            "axes": {"level": "WARNING"},
            # runserver's request lines in the same format (Django gives them their own clock).
            "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
