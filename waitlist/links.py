"""Signed, expiring links to answer an offer: /p/o/<token>, short enough for a text.

The same signer as the appointment links (patients.links: Django's salted HMAC, truncated),
with its own salt, so an appointment token can never be read as an offer token.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from patients.links import SIG_LENGTH, BadLink, ExpiredLink

SALT = "waitlist.offers"
MAX_AGE_SECONDS = 3 * 86400  # an offer is held for minutes; the page still says what happened


class _ShortSigner(signing.TimestampSigner):
    def signature(self, value, key=None):
        return super().signature(value, key)[:SIG_LENGTH]


def _signer():
    return _ShortSigner(salt=SALT, sep=".")


def make_token(offer_id: int) -> str:
    return _signer().sign(signing.b62_encode(offer_id))


def read_token(token: str) -> int:
    """The offer id; BadLink or ExpiredLink otherwise."""
    try:
        value = _signer().unsign(token, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired as exc:
        raise ExpiredLink(str(exc)) from exc
    except (signing.BadSignature, ValueError) as exc:
        raise BadLink(str(exc)) from exc
    try:
        offer_id = signing.b62_decode(value)
    except (ValueError, KeyError) as exc:
        raise BadLink("unreadable link") from exc
    if offer_id <= 0:
        raise BadLink("unreadable link")
    return offer_id


def path_for(offer_id: int) -> str:
    return reverse("waitlist:offer_link", kwargs={"token": make_token(offer_id)})


def url_for(offer_id: int) -> str:
    return settings.PUBLIC_BASE_URL.rstrip("/") + path_for(offer_id)
