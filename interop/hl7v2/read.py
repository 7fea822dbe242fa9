"""Read HL7 v2 messages (python-hl7) into the plain values of interop.apply.

Tolerant where senders differ (segment separators, missing components, offsets or none),
strict where a wrong guess would store wrong health data (no MRN, no collection time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import hl7
from hl7.datatypes import parse_datetime

from interop.apply import Code, InteropError, ObservationData, PatientData
from patients.registration import KEEP

SUPPORTED = {("ORU", "R01"), ("ADT", "A04"), ("ADT", "A08"), ("ADT", "A31")}

# OBX-11 / OBR-25 result status (HL7 table 0085) -> what it means for readiness.
_STATUS = {
    "F": "final",
    "C": "final",  # corrected final
    "P": "preliminary",
    "R": "preliminary",  # entered, not verified
    "S": "preliminary",  # partial
    "I": "preliminary",  # specimen in lab, pending
    "O": "preliminary",  # order received, specimen not yet
    "A": "preliminary",  # some, not all, results
    "X": "cancelled",  # cannot be obtained
}
# OBX-8 abnormal flags (table 0078) -> patients.models.LabFlag.
_CRITICAL_FLAGS = {"HH", "LL", "AA", ">", "<", "PANIC"}
_NORMAL_FLAGS = {"N"}


class Unreadable(Exception):
    """Not an HL7 message we can read (answered AR)."""


@dataclass(frozen=True)
class Header:
    sender: str  # MSH-3^MSH-4
    control_id: str  # MSH-10
    message_code: str  # MSH-9.1
    trigger: str  # MSH-9.2
    version: str  # MSH-12

    @property
    def message_type(self) -> str:
        return f"{self.message_code}^{self.trigger}" if self.trigger else self.message_code


def normalize(text: str) -> str:
    """Segments end in CR; senders also use LF or CRLF, and pad with blank lines."""
    text = text.replace("\r\n", "\r").replace("\n", "\r")
    return "\r".join(line for line in text.split("\r") if line.strip())


def parse(text: str) -> hl7.Message:
    text = normalize(text)
    if not text.startswith("MSH"):
        raise Unreadable("The message does not start with an MSH segment.")
    try:
        message = hl7.parse(text)
        message.segment("MSH")
    except Exception as exc:  # the library raises IndexError, KeyError, ParseException, ...
        raise Unreadable(f"The message cannot be parsed ({type(exc).__name__}).") from exc
    return message


def get(message: hl7.Message, seg: str, n: int, field: int, rep: int = 1, comp: int = 1) -> str:
    """The unescaped value at SEG[n]-field.rep.comp, "" when absent."""
    try:
        value = message.extract_field(seg, n, field, rep, comp, 1)
    except (IndexError, KeyError, ValueError, TypeError):
        return ""
    return str(value or "").strip()


def _raw_field(segment, field: int) -> str:
    try:
        return str(segment(field))
    except (IndexError, KeyError, ValueError, TypeError):
        return ""


def repetitions(message: hl7.Message, seg: str, n: int, field: int) -> int:
    try:
        return len(message.segments(seg)[n - 1](field))
    except (IndexError, KeyError, ValueError, TypeError):
        return 0


def header(message: hl7.Message) -> Header:
    app = get(message, "MSH", 1, 3)
    facility = get(message, "MSH", 1, 4)
    return Header(
        sender=(f"{app}^{facility}" if facility else app)[:120],
        control_id=get(message, "MSH", 1, 10)[:64],
        message_code=get(message, "MSH", 1, 9, 1, 1).upper(),
        trigger=get(message, "MSH", 1, 9, 1, 2).upper(),
        version=get(message, "MSH", 1, 12),
    )


def timestamp(value: str, tz) -> dt.datetime | None:
    """An HL7 DTM (YYYY[MM[DD[HH[MM[SS]]]]][+/-ZZZZ]); no offset = the center's zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise InteropError(f"{value!r} is not an HL7 date/time.") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed


def date(value: str) -> dt.date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.datetime.strptime(value[:8], "%Y%m%d").date()
    except ValueError as exc:
        raise InteropError(f"{value!r} is not an HL7 date (YYYYMMDD).") from exc


def mrn(message: hl7.Message) -> str:
    """PID-3: the repetition whose identifier type (CX.5) is MR, else the first one."""
    count = max(repetitions(message, "PID", 1, 3), 1)
    first = ""
    for rep in range(1, count + 1):
        ident = get(message, "PID", 1, 3, rep, 1)
        if not ident:
            continue
        first = first or ident
        if get(message, "PID", 1, 3, rep, 5).upper() == "MR":
            return ident
    return first


def _is_delete(message: hl7.Message, field: int) -> bool:
    """HL7's explicit null: a field of exactly "" means "delete the stored value"."""
    try:
        return _raw_field(message.segment("PID"), field) == '""'
    except (KeyError, IndexError):
        return False


def patient(message: hl7.Message) -> PatientData:
    """PID of an ADT message: MRN, name, date of birth, mobile and email (PID-13 XTN: equipment
    type CP = mobile, else the first phone; NET/Internet = email)."""
    try:
        message.segment("PID")
    except KeyError as exc:
        raise InteropError("The message has no PID segment.", location="PID") from exc
    number = mrn(message)
    if not number:
        raise InteropError("PID-3 has no MRN.", location="PID-3")
    family = get(message, "PID", 1, 5, 1, 1) or None
    given = get(message, "PID", 1, 5, 1, 2) or None
    born = date(get(message, "PID", 1, 7))
    mobile, email, phone = KEEP, KEEP, KEEP
    for rep in range(1, repetitions(message, "PID", 1, 13) + 1):
        use = get(message, "PID", 1, 13, rep, 2).upper()
        kind = get(message, "PID", 1, 13, rep, 3).upper()
        address = get(message, "PID", 1, 13, rep, 4)
        if use == "NET" or kind in ("INTERNET", "X.400") or (address and "@" in address):
            if address and email is KEEP:
                email = address
            continue
        number_text = get(message, "PID", 1, 13, rep, 1)
        if not number_text:
            country = get(message, "PID", 1, 13, rep, 5)
            area = get(message, "PID", 1, 13, rep, 6)
            local = get(message, "PID", 1, 13, rep, 7)
            number_text = f"+{country}{area}{local}" if country and local else f"{area}{local}"
        if not number_text.strip("+"):
            continue
        if kind == "CP" and mobile is KEEP:
            mobile = number_text
        elif phone is KEEP:
            phone = number_text
    if mobile is KEEP and phone is not KEEP:
        mobile = phone
    if _is_delete(message, 13):
        mobile = email = ""
    return PatientData(
        mrn=number,
        first_name=given,
        last_name=family,
        date_of_birth=born,
        email=email,
        mobile=mobile,
    )


def _flag(raw: str) -> str:
    raw = (raw or "").strip().upper()
    if not raw:
        return ""
    if raw in _CRITICAL_FLAGS:
        return "critical"
    if raw in _NORMAL_FLAGS:
        return "normal"
    return "abnormal"  # H, L, A, U, D, B, W, S, R, I, ...


def _codes(message, seg: str, n: int, field: int) -> tuple[Code, ...]:
    """A CE/CWE: the identifier triplet and its alternate (components 4-6)."""
    out = []
    for first in (1, 4):
        code = get(message, seg, n, field, 1, first)
        if code:
            out.append(
                Code(
                    code=code[:40],
                    display=get(message, seg, n, field, 1, first + 1)[:200],
                    system=get(message, seg, n, field, 1, first + 2)[:40],
                )
            )
    return tuple(out)


def observations(message: hl7.Message, tz) -> list[ObservationData]:
    """OBX segments of an ORU^R01 with their OBR (panel, collection time, status)."""
    out: list[ObservationData] = []
    obr_n = obx_n = 0
    order_codes: tuple[Code, ...] = ()
    order_collected = order_reported = None
    order_status = ""
    for segment in message:
        name = str(segment[0])
        if name == "OBR":
            obr_n += 1
            order_codes = _codes(message, "OBR", obr_n, 4)
            order_collected = timestamp(get(message, "OBR", obr_n, 7), tz)
            order_reported = timestamp(get(message, "OBR", obr_n, 22), tz)
            order_status = get(message, "OBR", obr_n, 25).upper()
        elif name == "OBX":
            obx_n += 1
            where = f"OBX {get(message, 'OBX', obx_n, 1) or obx_n}"
            codes = _codes(message, "OBX", obx_n, 3)
            if not codes:
                raise InteropError(f"{where}: OBX-3 has no code.", location=where)
            status_letter = get(message, "OBX", obx_n, 11).upper() or order_status or "F"
            status = _STATUS.get(status_letter)
            if status is None:
                raise InteropError(
                    f"{where}: result status {status_letter!r} (OBX-11) is not supported; "
                    "deletions and corrections of wrong results are made by staff.",
                    location=where,
                )
            collected = timestamp(get(message, "OBX", obx_n, 14), tz) or order_collected
            value = get(message, "OBX", obx_n, 5)
            units = get(message, "OBX", obx_n, 6)
            out.append(
                ObservationData(
                    codes=codes,
                    order_codes=order_codes,
                    status=status,
                    collected_at=collected,
                    resulted_at=timestamp(get(message, "OBX", obx_n, 19), tz) or order_reported,
                    value=f"{value} {units}".strip() if value else "",
                    flag=_flag(get(message, "OBX", obx_n, 8)),
                    location=where,
                )
            )
    return out
