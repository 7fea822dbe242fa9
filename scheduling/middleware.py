"""Idle staff sessions end: a shared front-desk PC must not stay signed in all day."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

LAST_ACTIVITY_KEY = "last_activity"


class IdleSessionExpiryMiddleware:
    """Record the time of each request in the session; after SESSION_IDLE_SECONDS without one,
    sign the user out and send them to the login page (htmx requests get an HX-Redirect).

    API calls with a token carry no session and are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            idle = settings.SESSION_IDLE_SECONDS
            if isinstance(last, int | float) and idle and now - last > idle:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                login_url = f"{reverse('login')}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = login_url
                    return response
                if request.path.startswith("/api/"):
                    return HttpResponse("Session expired.", status=401)
                return redirect(login_url)
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)
