"""Error pages: JSON under /api/ (and /fhir), the site's own pages elsewhere.

A database that went away mid-request is a 503 with Retry-After wherever it surfaced (a view,
a middleware, the session store), never a 500.
"""

from __future__ import annotations

import sys

from django.views import defaults

from infusion_center.middleware import (
    database_unavailable,
    error_response,
    is_api,
    is_connection_error,
)


def bad_request(request, exception=None):
    if is_api(request):
        return error_response(request, 400, "Bad request.")
    return defaults.bad_request(request, exception)


def permission_denied(request, exception=None):
    if is_api(request):
        return error_response(request, 403, "You do not have permission to do this.")
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api(request):
        return error_response(request, 404, "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    exc = sys.exc_info()[1]
    if exc is not None and is_connection_error(exc):
        return database_unavailable(request)
    if is_api(request):
        return error_response(request, 500, "Server error; the team has been told.")
    return defaults.server_error(request)
