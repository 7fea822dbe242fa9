"""Signed, expiring patient links (django.core.signing).

A token carries a session id and an action and is short enough for a text message:
``<base62 id>-<action>.<base62 timestamp>.<12-character signature>``. The signature is Django's
salted HMAC-SHA256, truncated to 72 bits: plenty for a link that expires after
PATIENT_LINK_MAX_AGE_DAYS and only shows or changes one appointment.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "patients.links"
SIG_LENGTH = 12

MANAGE = "s"  # the appointment page: confirm, cancel, checklist (the SMS link)
CONFIRM = "c"
CANCEL = "x"
CHECKLIST = "l"
# A planner offer: the id is a PlanProposal's, not a session's (patients.offer_views).
OFFER = "o"
ACTIONS = {
    MANAGE: "manage",
    CONFIRM: "confirm",
    CANCEL: "cancel",
    CHECKLIST: "checklist",
    OFFER: "offer",
}


class BadLink(Exception):
    """Tampered with or unreadable."""


class ExpiredLink(Exception):
    """Signed by us but older than PATIENT_LINK_MAX_AGE_DAYS, or its visit is long past."""


def visit_link_expired(visit_start, now=None) -> bool:
    """A link to a visit stops working PATIENT_LINK_HOURS_AFTER_VISIT after the visit's start
    (the signature's own age limit, PATIENT_LINK_MAX_AGE_DAYS after sending, holds as well).
    Read from the session at each request, so a moved visit moves its links' end with it."""
    import datetime as dt

    from django.utils import timezone

    now = now or timezone.now()
    return now > visit_start + dt.timedelta(hours=settings.PATIENT_LINK_HOURS_AFTER_VISIT)


class _ShortSigner(signing.TimestampSigner):
    def signature(self, value, key=None):
        return super().signature(value, key)[:SIG_LENGTH]


def _signer() -> _ShortSigner:
    return _ShortSigner(salt=SALT, sep=".")


def make_token(session_id: int, action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"unknown link action {action!r}")
    return _signer().sign(f"{signing.b62_encode(session_id)}-{action}")


def read_token(token: str) -> tuple[int, str]:
    """(session id, action) from a token; BadLink or ExpiredLink otherwise."""
    max_age = settings.PATIENT_LINK_MAX_AGE_DAYS * 86400
    try:
        value = _signer().unsign(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredLink(str(exc)) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise BadLink(str(exc)) from exc
    try:
        raw_id, action = value.split("-", 1)
        session_id = signing.b62_decode(raw_id)
    except (ValueError, KeyError) as exc:
        raise BadLink("unreadable link") from exc
    if action not in ACTIONS or session_id <= 0:
        raise BadLink("unknown action")
    return session_id, action


_PLACEHOLDER = "TOKEN"


@functools.lru_cache(maxsize=4)
def _path_template(urlconf: str) -> str:
    # reverse() once per URLconf; a dispatch run builds four links per message.
    return reverse("patients:link", kwargs={"token": _PLACEHOLDER})


def path_for(session_id: int, action: str) -> str:
    return _path_template(settings.ROOT_URLCONF).replace(
        _PLACEHOLDER, make_token(session_id, action)
    )


def url_for(session_id: int, action: str) -> str:
    """Absolute link for emails and texts (patients open them outside the app)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path_for(session_id, action)
