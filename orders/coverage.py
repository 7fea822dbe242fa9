"""Is a dose covered? The booking services call `check` once per write path, right after the
patient lock (DESIGN §4 rule 10), so the counts it reads cannot change under it.

Three rules, in order:

1. Lifetime cap (always): the cumulative dose given, booked and requested stays within the
   protocol's `lifetime_cap` (mitoxantrone 140 mg/m²), counted in dose amounts from the
   orders (or the catalogue), not as a number of doses. A request past it is a 400
   (SchedulingError on `dose_number`): it could never succeed.
2. Treatment order: an active order for the protocol whose span (signed → expiry / end date)
   holds the day and whose number of doses is not used up. None → 409, code "order". Not
   overridable: only the neurologist can fix it.
3. Authorization (protocols flagged `needs_authorization`): one valid on the day, for the
   drug's HCPCS code, with visits and units left. A problem → 409, code "authorization",
   unless an override reason is given: then each problem is stored (CoverageOverride) with
   the reason and who gave it, in the booking's transaction.

Rules 2 and 3 follow the manager's switches (OrdersSettings) and settings.TREATMENT_ORDER_RULES
(the test suite's switch for tests written before orders existed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings

from orders.models import CoverageOverride, OrdersSettings
from orders.selectors import PatientLedger, ledger, with_protocol
from patients.models import Patient
from scheduling import engine
from scheduling.exceptions import BookingConflict, SchedulingError
from scheduling.models import AuditEvent, Protocol

MAX_REASON = 500


@dataclass
class Coverage:
    """What the check found: the order and authorization each dose falls under."""

    orders: dict[int, int | None] = field(default_factory=dict)  # dose number → order id
    authorizations: dict[int, int | None] = field(default_factory=dict)
    overridden: list[str] = field(default_factory=list)


def rules_enforced() -> OrdersSettings | None:
    """The manager's settings when the order rules apply, else None."""
    if not getattr(settings, "TREATMENT_ORDER_RULES", True):
        return None
    return OrdersSettings.load()


def _fmt(amount) -> str:
    return f"{float(amount):g}"


def _check_cap(book: PatientLedger, protocol: Protocol, doses, option, exclude) -> None:
    cumulative = book.cumulative(protocol, exclude=exclude)
    if cumulative is None:
        return
    requested = [book.planned_dose(protocol, n, day, option).amount or 0 for n, day in doses]
    check = engine.check_lifetime_cap(
        float(cumulative.cap),
        given=[float(cumulative.given)],
        booked=[float(cumulative.booked)],
        requested=[float(r) for r in requested],
    )
    if not check.ok:
        unit = protocol.dose_unit
        first = doses[0][0]
        raise SchedulingError(
            f"Dose {first} would pass the lifetime limit of {_fmt(check.cap)} {unit}: "
            f"{_fmt(check.given)} {unit} given, {_fmt(check.booked)} booked, this booking "
            f"{_fmt(check.requested)} ({_fmt(max(check.cap - check.given - check.booked, 0))} "
            "left).",
            field="dose_number",
        )


def _check_orders(book, protocol, doses, exclude) -> dict[int, int | None]:
    found = {}
    extra: dict[int, int] = {}  # order id → doses of this booking already counted on it
    for n, day in doses:
        candidates = [
            o for o in book.orders if o.protocol_id == protocol.pk and o.cancelled_at is None
        ]
        chosen = None
        reason = ""
        for o in candidates:
            if not (o.signed_on <= day <= o.last_day):
                continue
            used = sum(
                1
                for h in book.held_of(protocol, exclude=exclude)
                if o.signed_on <= h.day <= o.last_day
            ) + extra.get(o.pk, 0)
            if o.doses is not None and used >= o.doses:
                reason = (
                    f"All {o.doses} doses of the {protocol.brand_name} order signed "
                    f"{o.signed_on:%b %d, %Y} by {o.provider} are booked or given."
                )
                continue
            chosen = o
            break
        if chosen is None:
            if not reason:
                if not candidates:
                    reason = f"No treatment order for {protocol.brand_name}."
                elif all(o.last_day < day for o in candidates):
                    last = max(candidates, key=lambda o: o.last_day)
                    reason = (
                        f"The {protocol.brand_name} order ends on {last.last_day:%b %d, %Y}, "
                        f"before {day:%b %d, %Y}."
                    )
                else:
                    reason = f"No {protocol.brand_name} order is in effect on {day:%b %d, %Y}."
            raise BookingConflict(
                f"{reason} Booking dose {n} needs an active order that covers it.",
                conflicts=[
                    {
                        "rule": "order",
                        "resource": f"patient:{book.patient.pk}",
                        "detail": reason,
                    }
                ],
                code="order",
            )
        extra[chosen.pk] = extra.get(chosen.pk, 0) + 1
        found[n] = chosen.pk
    return found


def _check_authorizations(book, protocol, doses, option, exclude):
    """(chosen authorization per dose, problems as (authorization id, dose, day, text))."""
    auths = book.authorizations_for(protocol)
    chosen: dict[int, int | None] = {}
    problems = []
    extra_visits: dict[int, int] = {}
    extra_units: dict[int, int] = {}
    uses = {a.pk: book.authorization_use(a, exclude=exclude) for a in auths}
    for n, day in doses:
        units = book.drug_units(protocol, book.planned_dose(protocol, n, day, option)) or 0
        valid = [a for a in auths if a.valid_from <= day <= a.valid_to]
        if not valid:
            code = protocol.billing_code or protocol.brand_name
            if auths:
                nearest = min(auths, key=lambda a: abs((a.valid_to - day).days))
                text = (
                    f"Authorization #{nearest.number} ({nearest.payer}) is valid "
                    f"{nearest.valid_from:%b %d, %Y} to {nearest.valid_to:%b %d, %Y}, "
                    f"not on {day:%b %d, %Y}."
                )
                problems.append((nearest.pk, n, day, text))
            else:
                problems.append((None, n, day, f"No insurance authorization for {code}."))
            chosen[n] = None
            continue
        first_problem = None
        for a in valid:
            use = uses[a.pk]
            visits = use.visits_used + extra_visits.get(a.pk, 0)
            used_units = use.units_used + extra_units.get(a.pk, 0)
            if a.visits_approved is not None and visits + 1 > a.visits_approved:
                first_problem = first_problem or (
                    a.pk,
                    n,
                    day,
                    f"Authorization #{a.number} allows {a.visits_approved} visits and "
                    f"{visits} are booked or given.",
                )
                continue
            if a.units_approved is not None and used_units + units > a.units_approved:
                first_problem = first_problem or (
                    a.pk,
                    n,
                    day,
                    f"Authorization #{a.number} allows {a.units_approved} units of "
                    f"{protocol.billing_code}; {used_units} are booked or given and this dose "
                    f"needs {units}.",
                )
                continue
            chosen[n] = a.pk
            extra_visits[a.pk] = extra_visits.get(a.pk, 0) + 1
            extra_units[a.pk] = extra_units.get(a.pk, 0) + units
            break
        else:
            chosen[n] = None
            problems.append(first_problem)
    return chosen, problems


def check(
    *,
    patient: Patient,
    protocol: Protocol,
    doses: Sequence[tuple[int, dt.date]],
    option: str = "standard",
    override_reason: str = "",
    exclude_session_ids: Sequence[int] = (),
    by=None,
) -> Coverage:
    """Check that every (dose number, center-local day) of one booking or move is covered.

    Call inside the booking's transaction, after the patient lock. Raises SchedulingError
    (lifetime cap), BookingConflict code "order" or "authorization"; records authorization
    overrides when `override_reason` is given. Returns what covered each dose.
    """
    doses = list(doses)
    exclude = set(exclude_session_ids)
    result = Coverage()
    rules = rules_enforced()
    if rules is None and protocol.lifetime_cap is None:
        return result
    book = with_protocol(ledger(patient), protocol)
    _check_cap(book, protocol, doses, option, exclude)
    if rules is None:
        return result
    if rules.orders_required:
        result.orders = _check_orders(book, protocol, doses, exclude)
    if rules.authorizations_required and protocol.needs_authorization:
        result.authorizations, problems = _check_authorizations(
            book, protocol, doses, option, exclude
        )
        if problems:
            reason = (override_reason or "").strip()[:MAX_REASON]
            if not reason:
                texts = [p[3] for p in problems]
                raise BookingConflict(
                    f"{texts[0]} Book it anyway only with an override reason.",
                    conflicts=[
                        {
                            "rule": "authorization",
                            "resource": f"authorization:{a}" if a else f"patient:{patient.pk}",
                            "detail": text,
                        }
                        for a, _n, _day, text in problems
                    ],
                    code="authorization",
                )
            actor = by if getattr(by, "is_authenticated", False) else None
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        action="authorization_override",
                        actor=actor,
                        actor_label="" if actor else "system",
                        after={
                            "patient_id": patient.pk,
                            "protocol": protocol.code,
                            "dose_number": n,
                            "day": day.isoformat(),
                            "authorization_id": a,
                            "problem": text[:300],
                        },
                        reason=reason,
                    )
                    for a, n, day, text in problems
                ]
            )
            CoverageOverride.objects.bulk_create(
                [
                    CoverageOverride(
                        patient=patient,
                        protocol=protocol,
                        authorization_id=a,
                        dose_number=n,
                        day=day,
                        problem=text[:300],
                        reason=reason,
                        by=by if getattr(by, "is_authenticated", False) else None,
                    )
                    for a, n, day, text in problems
                ]
            )
            result.overridden = [p[3] for p in problems]
    return result
