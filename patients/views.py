"""Patient pages behind signed links, and the inbound SMS webhook.

GET only shows a question; confirming or cancelling is a POST from the page, so the link
scanners of mail clients can never cancel a session. Bad or expired links get a friendly
400/410 page, never a 500.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from patients import links
from patients.forms import CancelForm
from scheduling.exceptions import SchedulingError
from scheduling.models import CenterSettings, InfusionSession, SessionStatus

log = logging.getLogger(__name__)

OPEN_STATUSES = (SessionStatus.BOOKED, SessionStatus.CONFIRMED)


def link_can_act(session: InfusionSession) -> bool:
    """A patient link confirms or cancels only an open session still ahead (DESIGN §4.8);
    anything else (checked in, completed, a visit whose time has passed) is shown read-only.
    The services refuse the rest anyway; this keeps the buttons off the page."""
    return session.status in OPEN_STATUSES and session.start > timezone.now()


def _error(request, status: int, title: str, message: str):
    center = CenterSettings.load()
    return render(
        request,
        "patients/link_error.html",
        {"title": title, "message": message, "center": center},
        status=status,
    )


def _page_context(session: InfusionSession, center: CenterSettings, token: str) -> dict:
    from scheduling.notifications.messages import session_context

    ctx = session_context(session, center)
    ctx.update(
        {
            "token": token,
            "is_open": link_can_act(session),
            "is_confirmed": session.status == SessionStatus.CONFIRMED,
            "is_cancelled": session.status == SessionStatus.CANCELLED,
            "manage_path": links.path_for(session.pk, links.MANAGE),
            "confirm_path": links.path_for(session.pk, links.CONFIRM),
            "cancel_path": links.path_for(session.pk, links.CANCEL),
            "checklist_path": links.path_for(session.pk, links.CHECKLIST),
        }
    )
    return ctx


@require_http_methods(["GET", "HEAD", "POST"])
def link(request, token: str):
    """Every patient link: /p/s/<token>. The token's action decides the page."""
    try:
        session_id, action = links.read_token(token)
    except links.ExpiredLink:
        return _error(
            request,
            410,
            "This link has expired",
            "For your safety, links stop working after a while. Please call us and we "
            "will help you.",
        )
    except links.BadLink:
        return _error(
            request,
            400,
            "This link does not work",
            "The link may have been cut short when it was copied. Please use the whole "
            "link from your message, or call us.",
        )
    if action == links.OFFER:
        from patients.offer_views import offer

        return offer(request, session_id, token)
    session = (
        InfusionSession.objects.select_related("patient", "protocol", "chair")
        .filter(pk=session_id)
        .first()
    )
    if session is None:
        return _error(
            request,
            410,
            "This visit is no longer on our schedule",
            "Please call us if you have questions.",
        )
    if links.visit_link_expired(session.start):
        return _error(
            request,
            410,
            "This link has expired",
            "Links to a visit stop working after the visit. Please call us and we will help you.",
        )
    center = CenterSettings.load()
    ctx = _page_context(session, center, token)
    if action == links.CHECKLIST:
        return _checklist(request, session, ctx)
    if request.method == "POST":
        intent = request.POST.get("intent", "")
        if intent == "confirm" and action in (links.MANAGE, links.CONFIRM):
            return _do_confirm(request, session, ctx)
        if intent == "cancel" and action in (links.MANAGE, links.CANCEL):
            return _do_cancel(request, session, ctx)
        return _error(request, 400, "We could not do that", "Please use the buttons on the page.")
    if action == links.CONFIRM:
        return render(request, "patients/confirm.html", ctx)
    if action == links.CANCEL:
        ctx["form"] = CancelForm()
        return render(request, "patients/cancel.html", ctx)
    ctx["form"] = CancelForm()
    return render(request, "patients/session.html", ctx)


def _do_confirm(request, session, ctx):
    from scheduling import services

    try:
        session = services.confirm(session=session, actor_label="patient link")
    except SchedulingError:
        ctx["problem"] = "This visit can no longer be confirmed online. Please call us."
        return render(request, "patients/session.html", ctx, status=409)
    ctx.update(
        session=session, is_confirmed=True, done="confirmed"
    )  # the page shows the new status
    return render(request, "patients/done.html", ctx)


def _do_cancel(request, session, ctx):
    from scheduling import services
    from scheduling.tasks import queue_front_desk_notice

    form = CancelForm(request.POST)
    if not form.is_valid():
        ctx["form"] = form
        return render(request, "patients/cancel.html", ctx, status=400)
    if session.status == SessionStatus.CANCELLED:
        ctx.update(done="cancelled")
        return render(request, "patients/done.html", ctx)  # a second click changes nothing
    try:
        session = services.cancel(
            session=session, reason=form.reason_text(), actor_label="patient link"
        )
    except SchedulingError:
        ctx["problem"] = "This visit can no longer be cancelled online. Please call us."
        ctx["form"] = form
        return render(request, "patients/cancel.html", ctx, status=409)
    queue_front_desk_notice(session.pk)
    ctx.update(session=session, is_open=False, is_cancelled=True, done="cancelled")
    return render(request, "patients/done.html", ctx)


def _checklist(request, session, ctx):
    from scheduling import selectors

    checklist = selectors.lab_checklist(session=session)
    ctx.update(
        checklist=checklist,
        missing=list(checklist.missing),
        ready=[i for i in checklist.items if i.status == "green"],
    )
    return render(request, "patients/checklist.html", ctx)


# --- inbound SMS ------------------------------------------------------------------------------


def _signature_ok(request) -> bool:
    """Twilio signs the exact URL it called plus the POST parameters (X-Twilio-Signature)."""
    from twilio.request_validator import RequestValidator

    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    params = request.POST.dict()
    urls = {
        request.build_absolute_uri(),
        settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path(),
    }
    return any(validator.validate(url, params, signature) for url in urls)


@csrf_exempt
@require_POST
def sms_inbound(request):
    """Twilio's inbound-message webhook: STOP/START/HELP and C to confirm. Replies in TwiML."""
    from twilio.twiml.messaging_response import MessagingResponse

    from scheduling import inbound_sms as inbound

    if settings.SMS_WEBHOOK_VALIDATE and not _signature_ok(request):
        return HttpResponse("invalid signature", status=403, content_type="text/plain")
    reply = inbound.handle(request.POST.get("From", ""), request.POST.get("Body", ""))
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml")
