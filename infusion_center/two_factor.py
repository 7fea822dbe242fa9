"""TOTP two-factor sign-in (django-otp): required for managers, optional for everyone else.

After the password, a user who needs a second factor is held at /account/two-factor/ until
they enter a code from their authenticator app; a manager without a device enrols there first
(QR code and the secret to type in). Anyone may enrol from the same page, and is asked for a
code at every sign-in from then on. The demo logins are in the OTP_EXEMPT_GROUP, so `make run`
stays one step; production has no such users (and OTP_EXEMPT_USERNAMES is empty).

API calls with a token are systems, not people at a keyboard: they are not asked. A signed-in
browser session that still owes its code gets 403 from the API.
"""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from scheduling.roles import MANAGER, roles_of

# Users in this group never need a second factor (the demo seed puts its logins there).
OTP_EXEMPT_GROUP = "two_factor_exempt"
TWO_FACTOR_URL_NAME = "two_factor"
# Paths a user who still owes a code may open: the code page itself, sign-out, static files,
# the health check and the patients' link pages (not staff pages).
OPEN_PREFIXES = ("/account/two-factor/", "/logout/", "/login/", "/static/", "/healthz", "/p/")


def is_exempt(user) -> bool:
    if user.username in settings.OTP_EXEMPT_USERNAMES:
        return True
    return user.groups.filter(name=OTP_EXEMPT_GROUP).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def must_use_two_factor(user) -> bool:
    """True when this user's role requires a second factor (managers, unless exempt)."""
    if not settings.OTP_REQUIRED_FOR_MANAGERS:
        return False
    if not (user.is_superuser or MANAGER in roles_of(user)):
        return False
    return not is_exempt(user)


def needs_code(user) -> bool:
    """True when the signed-in user has not given a code yet but must: a manager, or anyone
    who enrolled a device themselves."""
    if not user.is_authenticated or user.is_verified():
        return False
    return must_use_two_factor(user) or confirmed_device(user) is not None


class TwoFactorRequiredMiddleware:
    """Holds a signed-in user who owes a second factor at the code page (after OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and not request.path.startswith(OPEN_PREFIXES) and needs_code(user):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Enter your two-factor code at /account/two-factor/ first."},
                    status=403,
                )
            target = (
                f"{reverse(TWO_FACTOR_URL_NAME)}?{urlencode({'next': request.get_full_path()})}"
            )
            if request.headers.get("HX-Request"):
                response = HttpResponse(status=204)
                response["HX-Redirect"] = target
                return response
            return redirect(target)
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="6-digit code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": "Enter the 6 digits your app shows."},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or reverse("home")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return reverse("home")
    return target


def _pending_device(user) -> TOTPDevice:
    """The user's unconfirmed device (made once, so reloading the page keeps the same QR)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def _qr_svg(device: TOTPDevice) -> str:
    # config_url carries the issuer and the username; the secret is the base32 key.
    return segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#1d2733")


def _secret_text(device: TOTPDevice) -> str:
    from base64 import b32encode

    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Enter a code (when enrolled) or enrol a new authenticator app (QR code or secret)."""
    user = request.user
    device = confirmed_device(user)
    enrolling = device is None
    if enrolling:
        device = _pending_device(user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        if device.verify_token(code):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                messages.success(request, "Two-factor sign-in is on for your account.")
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("code", "That code is not right (or has expired); try the next one.")
    context = {
        "form": form,
        "enrolling": enrolling,
        "required": must_use_two_factor(user),
        "next": _next_url(request),
        "verified": user.is_verified(),
    }
    if enrolling:
        context.update(qr_svg=_qr_svg(device), secret=_secret_text(device))
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/two_factor.html", context, status=status)


@login_required
@require_http_methods(["POST"])
def two_factor_remove(request):
    """Turn two-factor off for oneself: not allowed where the role requires it."""
    if must_use_two_factor(request.user):
        messages.error(request, "Your role requires two-factor sign-in; it cannot be turned off.")
    elif not request.user.is_verified():
        messages.error(request, "Enter a code first.")
    else:
        TOTPDevice.objects.filter(user=request.user).delete()
        messages.success(request, "Two-factor sign-in is off for your account.")
    return redirect(TWO_FACTOR_URL_NAME)


urlpatterns = [
    path("account/two-factor/", two_factor, name=TWO_FACTOR_URL_NAME),
    path("account/two-factor/remove/", two_factor_remove, name="two_factor_remove"),
]
