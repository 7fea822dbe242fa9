"""Project-wide request guards and response headers (hardening, issue 10).

- RequestSizeLimitMiddleware: a body over REQUEST_MAX_BODY_BYTES is a 413 before it is read.
- DatabaseUnavailableMiddleware: a lost or restarting database is a clean 503 with Retry-After,
  and the broken connection is dropped so the next request reconnects (no app restart).
- SecurityHeadersMiddleware: Permissions-Policy on every answer, `Cache-Control: no-store` on
  every dynamic answer (pages, API and patient links carry patient data), and under /api/ the
  per-address lock after repeated authentication failures (token guessing).
"""

from __future__ import annotations

import logging
import math

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.utils.cache import patch_cache_control
from rest_framework.throttling import SimpleRateThrottle

log = logging.getLogger(__name__)

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path.startswith(API_PREFIX) or request.path.startswith("/fhir")


def error_response(request, status: int, message: str, **headers) -> HttpResponse:
    """JSON `{"detail": ...}` for API clients, a short plain-text page for browsers."""
    if is_api(request) or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"detail": message}, status=status)
    else:
        response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than REQUEST_MAX_BODY_BYTES (413), or
    whose Content-Length is not a number (400), before any parser reads a byte of it.

    DRF's parsers read the WSGI stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE never
    sees a JSON body: this is the one place the limit holds for both.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        raw = request.META.get("CONTENT_LENGTH") or "0"
        try:
            length = int(raw)
        except ValueError:
            return error_response(request, 400, "Content-Length is not a number.")
        if length < 0:
            return error_response(request, 400, "Content-Length is not a number.")
        limit = settings.REQUEST_MAX_BODY_BYTES
        if length > limit:
            return error_response(
                request, 413, f"The request body is larger than the limit of {limit} bytes."
            )
        if _has_nul(request):
            return error_response(request, 400, "The request may not contain NUL characters.")
        return self.get_response(request)


def _has_nul(request) -> bool:
    """A NUL in a query string or a form body (PostgreSQL text refuses it, so a lookup with it
    was a 500: schemathesis sent one as a form-encoded protocol code). JSON bodies are checked
    by the JSON parser (scheduling/api/limits.py). The body is within the size limit here."""
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        return True
    kind = request.META.get("CONTENT_TYPE", "")
    if kind.startswith("application/x-www-form-urlencoded"):
        body = request.body
        return b"\x00" in body or b"%00" in body
    if kind.startswith("multipart/form-data") and request.path.startswith("/api/"):
        return b"\x00" in request.body  # the API takes no files: a NUL is never data
    return False


DATABASE_DOWN = "The database is not available right now; try again in a few seconds."


def database_unavailable(request) -> HttpResponse:
    """503 for a request that met a lost database connection, and drop that connection so the
    next request opens a fresh one (PostgreSQL restarted, failover, network blip)."""
    for conn in connections.all(initialized_only=True):
        try:
            if not conn.is_usable():
                conn.close()
        except DatabaseError:  # pragma: no cover - close() on a dead socket
            conn.connection = None
    return error_response(request, 503, DATABASE_DOWN, Retry_After="5")


def is_connection_error(exc: BaseException) -> bool:
    """True for errors that mean 'no database' rather than 'bad query'."""
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        text = str(exc).lower()
        return any(
            marker in text
            for marker in (
                "connection",
                "server closed",
                "terminating",
                "shutting down",
                "starting up",
                "could not connect",
                "recovery mode",
                "ssl syscall",
                "eof detected",
            )
        )
    return False


class DatabaseUnavailableMiddleware:
    """A view that loses the database answers 503 (with Retry-After), not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_connection_error(exception):
            log.warning("database unavailable for %s: %s", request.path, exception)
            return database_unavailable(request)
        return None


class AuthFailureThrottle(SimpleRateThrottle):
    """401s per client address under /api/ (API_AUTH_FAILURE_RATE). Checked before the request
    is authenticated, so a locked-out address cannot find a working token by guessing."""

    scope = "api_auth_failure"

    def get_rate(self):
        return settings.API_AUTH_FAILURE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request):
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def blocked(self, request) -> bool:
        self._load(request)
        return len(self.history) >= self.num_requests

    def record(self, request) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class SecurityHeadersMiddleware:
    """Headers every answer carries, and the API's lock after repeated failed sign-ins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        throttle = None
        if request.path.startswith(API_PREFIX):
            throttle = AuthFailureThrottle()
            if throttle.blocked(request):
                wait = throttle.wait() or 1
                return self._headers(
                    error_response(
                        request,
                        429,
                        "Too many failed sign-ins from this address; try again later.",
                        Retry_After=str(math.ceil(wait)),
                    )
                )
        response = self.get_response(request)
        if throttle is not None and response.status_code == 401:
            throttle.record(request)
        return self._headers(response)

    @staticmethod
    def _headers(response):
        if settings.PERMISSIONS_POLICY:
            response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        # Patient data must not stay in a shared browser's or proxy's cache. A view that wants
        # caching says so itself (static files are served before this middleware).
        if "Cache-Control" not in response:
            patch_cache_control(response, no_store=True, private=True)
        return response


__all__ = [
    "AuthFailureThrottle",
    "DatabaseUnavailableMiddleware",
    "RequestSizeLimitMiddleware",
    "SecurityHeadersMiddleware",
    "database_unavailable",
    "is_connection_error",
]
