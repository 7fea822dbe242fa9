"""Receive one inbound HL7 v2 message: store it raw, apply it once, answer with an ACK.

receive(bytes) -> ACK text is what the MLLP listener calls for each block; replay(row) is what
admin calls. The stored row and what the message applied commit together, and the ACK is sent
after that commit: a sender that never saw its ACK sends again, and the repeat (same sender and
MSH-10) is answered from the stored outcome without applying anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from interop.apply import Applied, InteropError, apply_observations, apply_patient
from interop.hl7v2 import ack, read
from interop.models import Channel, InboundMessage, Outcome
from scheduling.models import center_settings_scope
from scheduling.world import center_tz

log = logging.getLogger(__name__)

_ACK_FOR = {Outcome.APPLIED: ack.AA, Outcome.ERROR: ack.AE, Outcome.REJECTED: ack.AR}


@dataclass(frozen=True)
class Answer:
    ack_code: str
    text: str
    ack: str  # the ACK message
    row_id: int | None = None
    duplicate: bool = False


def decode(data: bytes) -> str:
    """UTF-8 (HL7 2.8's preferred set); anything else is read as Latin-1, which never fails.
    NUL characters (which PostgreSQL text cannot hold) are kept visible as \\x00."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\x00", "\\x00")


def _control_id_guess(text: str) -> str:
    first = read.normalize(text).split("\r", 1)[0]
    parts = first.split("|")
    return parts[9][:64] if first.startswith("MSH") and len(parts) > 9 else ""


def handle(message, header: read.Header) -> Applied:
    """Apply a parsed, supported message (inside the caller's transaction)."""
    actor = f"HL7 {header.sender}"[:120]
    reason = f"{header.message_type} {header.control_id}"
    if header.message_code == "ADT":
        return apply_patient(read.patient(message), actor_label=actor, reason=reason)
    tz = center_tz()
    return apply_observations(
        read.mrn(message),
        read.observations(message, tz),
        source=f"HL7 {header.sender}"[:80],
        actor_label=actor,
        reason=reason,
    )


def _apply_into(row: InboundMessage, message, header: read.Header) -> None:
    """Run the message in a savepoint and write its outcome on `row` (not saved)."""
    try:
        with transaction.atomic():
            applied = handle(message, header)
    except InteropError as exc:
        row.outcome, row.ack_code = Outcome.ERROR, ack.AE
        row.detail = str(exc)[:500]
        row.error_code = exc.code
        return
    except Exception as exc:  # a bug must not lose the message: stored for replay, AE
        log.exception("HL7 %s %s failed", header.message_type, header.control_id)
        row.outcome, row.ack_code = Outcome.ERROR, ack.AE
        row.detail = f"Internal error ({type(exc).__name__}); the message is kept for replay."
        row.error_code = "internal"
        return
    row.outcome, row.ack_code = Outcome.APPLIED, ack.AA
    row.detail = "; ".join(applied.summary)[:500]
    row.patient = applied.patient
    row.error_code = ""


@center_settings_scope
def receive(data: bytes) -> Answer:
    """Store, apply once and acknowledge one message. Never raises for anything in `data`."""
    text = decode(data)
    try:
        message = read.parse(text)
        header = read.header(message)
    except read.Unreadable as exc:
        return _reject(text, str(exc), control_id=_control_id_guess(text))
    if not header.control_id:
        return _reject(text, "MSH-10 (message control id) is missing.", message=message)
    if (header.message_code, header.trigger) not in read.SUPPORTED:
        supported = ", ".join(sorted(f"{c}^{t}" for c, t in read.SUPPORTED))
        return _reject(
            text,
            f"Message type {header.message_type or '(none)'} is not supported ({supported}).",
            message=message,
            header=header,
            error="unsupported",
        )
    row = InboundMessage(
        channel=Channel.HL7,
        sender=header.sender,
        control_id=header.control_id,
        message_type=header.message_type[:20],
        raw=text,
        outcome=Outcome.ERROR,
    )
    try:
        # Applied first, recorded last, one commit: a repeat of a control id already stored
        # fails on the unique index at the INSERT and everything it applied is rolled back.
        # A repeat racing the original waits for the original's commit at that index.
        with transaction.atomic():
            _apply_into(row, message, header)
            row.save(force_insert=True)
    except IntegrityError:
        with transaction.atomic():
            return _duplicate(message, header)
    return Answer(
        row.ack_code,
        row.detail,
        ack.build(message, row.ack_code, row.detail, error=getattr(row, "error_code", "")),
        row.pk,
    )


def _duplicate(message, header: read.Header) -> Answer:
    row = (
        InboundMessage.objects.select_for_update()
        .filter(channel=Channel.HL7, sender=header.sender, control_id=header.control_id)
        .first()
    )
    if row is None:  # cannot happen: the unique index said it exists
        raise RuntimeError("duplicate control id without its row")
    row.duplicates += 1
    row.last_duplicate_at = timezone.now()
    row.save(update_fields=["duplicates", "last_duplicate_at"])
    text = (
        f"Duplicate of message {header.control_id} received "
        f"{row.received_at:%Y-%m-%d %H:%M:%S %Z}; not applied again. {row.detail}"
    ).strip()
    error = "" if row.ack_code == ack.AA else "internal"
    return Answer(
        row.ack_code or ack.AR,
        text,
        ack.build(message, row.ack_code or ack.AR, text, error=error),
        row.pk,
        True,
    )


def _reject(
    text, reason, *, message=None, header=None, control_id="", error="unreadable"
) -> Answer:
    """AR: stored raw (for a look in admin), never applied."""
    row = None
    control = header.control_id if header else control_id
    try:
        with transaction.atomic():
            row = InboundMessage.objects.create(
                channel=Channel.HL7,
                sender=header.sender if header else "",
                # Only a readable header's control id is unique; garbage keeps none.
                control_id=header.control_id if header else "",
                message_type=(header.message_type if header else "")[:20],
                raw=text,
                outcome=Outcome.REJECTED,
                ack_code=ack.AR,
                detail=reason[:500],
            )
    except IntegrityError:
        if message is not None and header is not None:
            with transaction.atomic():
                return _duplicate(message, header)
    return Answer(
        ack.AR,
        reason,
        ack.build(message, ack.AR, reason, error=error, control_id=control),
        row.pk if row else None,
    )


@center_settings_scope
@transaction.atomic
def replay(row: InboundMessage) -> str:
    """Apply a stored message that was not applied (after a manager fixed the mapping or the
    patient). An applied message is never applied again. Returns the new outcome's text."""
    row = InboundMessage.objects.select_for_update().get(pk=row.pk)
    if row.outcome == Outcome.APPLIED:
        return f"{row} was applied already; not applied again."
    if row.channel != Channel.HL7:
        return f"{row}: only HL7 messages are replayed here (FHIR senders resubmit)."
    try:
        message = read.parse(row.raw)
        header = read.header(message)
    except read.Unreadable as exc:
        row.detail = str(exc)[:500]
    else:
        if (header.message_code, header.trigger) in read.SUPPORTED and header.control_id:
            _apply_into(row, message, header)
    row.replays += 1
    row.last_replayed_at = timezone.now()
    row.save()
    return f"{row}: {row.detail}"
