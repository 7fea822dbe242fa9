"""HL7 v2 acknowledgements (original mode): AA applied, AE error in the content, AR rejected."""

from __future__ import annotations

import datetime as dt

import hl7
from django.conf import settings
from django.utils import timezone
from hl7.util import generate_message_control_id

AA, AE, AR = "AA", "AE", "AR"

# HL7 table 0357 (message error condition codes) for the ERR segment.
ERROR_CODES = {
    "unknown_patient": ("204", "Unknown key identifier"),
    "unmapped_test": ("103", "Table value not found"),
    "invalid": ("102", "Data type error"),
    "unsupported": ("200", "Unsupported message type"),
    "unreadable": ("100", "Segment sequence error"),
    "internal": ("207", "Application internal error"),
}


def _escape(text: str) -> str:
    """HL7 escape sequences for the default delimiters, and no line breaks."""
    text = " ".join(str(text).split())
    for raw, esc in (
        ("\\", "\\E\\"),
        ("|", "\\F\\"),
        ("^", "\\S\\"),
        ("&", "\\T\\"),
        ("~", "\\R\\"),
    ):
        text = text.replace(raw, esc)
    return text[:400]


def _err_segment(code: str, text: str) -> str:
    number, name = ERROR_CODES.get(code, ERROR_CODES["internal"])
    return f"ERR|||{number}^{name}^HL70357|E||||{_escape(text)}"


def build(
    message: hl7.Message | None,
    ack_code: str,
    text: str = "",
    *,
    error: str = "",
    control_id: str = "",
) -> str:
    """The ACK for `message` (python-hl7's create_ack, plus MSA-3 and an ERR segment when it is
    not AA). Without a readable message (AR for garbage), a minimal ACK naming `control_id`."""
    app = settings.HL7_APPLICATION
    if message is not None:
        try:
            ack = message.create_ack(
                ack_code, message_id=generate_message_control_id(), application=app, facility=""
            )
            segments = str(ack).rstrip("\r").split("\r")
            if text:
                segments[1] = f"{segments[1]}|{_escape(text)}"
            if ack_code != AA:
                segments.append(_err_segment(error or "internal", text))
            return "\r".join(segments) + "\r"
        except Exception:  # a header too broken to echo: fall back to the minimal form
            pass
    now = timezone.now().astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    segments = [
        f"MSH|^~\\&|{_escape(app)}||||{now}||ACK|{generate_message_control_id()}|P|2.5.1",
        f"MSA|{ack_code}|{_escape(control_id)[:64]}|{_escape(text)}",
    ]
    if ack_code != AA:
        segments.append(_err_segment(error or "unreadable", text))
    return "\r".join(segments) + "\r"
