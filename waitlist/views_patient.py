"""The patient's offer page behind a signed link: /p/o/<token>.

GET shows the offer (a day, a time, the hold; nothing clinical); answering is a POST from the
page, so a mail client's link scanner can never accept or decline. Bad or expired links get a
friendly 400/410 page, never a 500.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from patients.links import BadLink, ExpiredLink
from patients.views import _error
from scheduling.models import CenterSettings
from scheduling.notifications.messages import clock, long_date
from waitlist import links, services
from waitlist.models import Offer, OfferStatus
from waitlist.services.offers import OfferUnavailable, patient_tz


@require_http_methods(["GET", "HEAD", "POST"])
def offer_link(request, token: str):
    try:
        offer_id = links.read_token(token)
    except ExpiredLink:
        return _error(request, 410, "This link has expired", "Please call us and we will help you.")
    except BadLink:
        return _error(
            request,
            400,
            "This link does not work",
            "The link may have been cut short when it was copied. Please use the whole link "
            "from your message, or call us.",
        )
    offer = Offer.objects.select_related("patient", "session").filter(pk=offer_id).first()
    if offer is None:
        return _error(request, 410, "This offer is no longer open", "Please call us.")
    center = CenterSettings.load()
    ctx = {"center": center, "offer": offer}
    status = 200
    if request.method == "POST":
        intent = request.POST.get("intent", "")
        try:
            if intent == "accept":
                offer = services.accept_offer(offer=offer, via="link", actor_label="patient link")
                ctx["outcome"] = "accepted"
            elif intent in ("decline", "decline_for_good"):
                for_good = intent == "decline_for_good"
                offer = services.decline_offer(
                    offer=offer, for_good=for_good, via="link", actor_label="patient link"
                )
                ctx.update(outcome="declined", for_good=for_good)
            else:
                return _error(
                    request, 400, "We could not do that", "Please use the buttons on the page."
                )
        except OfferUnavailable as exc:
            offer.refresh_from_db()
            ctx["outcome"] = exc.code
            status = 409
        ctx["offer"] = offer
    tz = patient_tz(offer.patient, center)
    start = offer.start.astimezone(tz)
    hold = offer.hold_until.astimezone(tz)
    ctx.update(
        when=f"{long_date(start)} at {clock(start)}",
        hold=f"{clock(hold)}, {long_date(hold)}",
        moves=(
            f"{long_date(offer.session.start.astimezone(tz))} at "
            f"{clock(offer.session.start.astimezone(tz))}"
            if offer.session_id and offer.status == OfferStatus.OFFERED
            else ""
        ),
        expired=offer.status == OfferStatus.OFFERED and offer.hold_until <= timezone.now(),
    )
    ctx["can_answer"] = (
        offer.status == OfferStatus.OFFERED and not ctx["expired"] and not ctx.get("outcome")
    )
    return render(request, "waitlist/offer.html", ctx, status=status)
