"""Demo step "orders" (scheduling.demo.STEPS, before "today", the first step that books):
treatment orders, authorizations, height and weight, allergies for the demo patients, so the
bookings pass the order rule as in production.

A fixed pattern so a small demo still shows every case: most patients are covered; some left
for the due worklist have no order or an expired one; some authorizations end within 30 days
or have one visit left; mitoxantrone patients (and every fourth other one) have height and
weight. Written in bulk (the demo writes thousands of rows), with one audit row per order and
authorization as the services write.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from orders.models import Allergy, Authorization, BodyMeasurement, TreatmentOrder
from scheduling.models import AuditEvent

PROVIDERS = ["Dr Amara Okafor", "Dr Lucas Brandt", "Dr Mei Tanaka", "Dr Sofia Rivera"]
PAYERS = [
    ("Acme Health", "Gold PPO"),
    ("Northeast Mutual", "Choice HMO"),
    ("Medicare", "Part B"),
    ("State Medicaid", "Managed care"),
]
ALLERGIES = [
    ("Penicillin", "Hives", "moderate"),
    ("Sulfa drugs", "Rash", "mild"),
    ("Latex", "Contact dermatitis", "mild"),
    ("Iodinated contrast", "Wheezing", "severe"),
    ("Diphenhydramine", "Agitation", "mild"),
]
# Visits approved: enough for a two-week booking of one unit (a Lemtrada course is 5 days).
UNIT_VISITS = {"alemtuzumab": 8, "ocrelizumab_iv": 4, "ublituximab": 4}


def coverage(demo) -> None:
    """The demo step: see the module docstring."""
    today = demo.today
    rng = demo.rng
    orders, auths, bodies, allergies = [], [], [], []
    seen: dict[str, int] = {}
    unbooked = 0
    for plan in demo.plans:
        patient, protocol = plan.patient, plan.protocol
        i = seen[protocol.code] = seen.get(protocol.code, -1) + 1
        if protocol.dose_unit == "mg/m2" or patient.pk % 4 == 0:
            bodies.append(_body(patient, today, rng))
        if patient.pk % 6 == 1:
            substance, reaction, severity = ALLERGIES[patient.pk % len(ALLERGIES)]
            allergies.append(
                Allergy(patient=patient, substance=substance, reaction=reaction, severity=severity)
            )
        if not plan.book:
            # Of the patients left for the worklist, every fourth has no order and the next
            # an expired one (counted over all protocols, so a small demo shows both).
            unbooked += 1
            if unbooked % 4 == 1:
                demo.report.created["patients without an order"] += 1
                continue
            if unbooked % 4 == 2:
                orders.append(_order(patient, protocol, today, rng, signed=-400, expires=-20))
                continue
        expires = 20 if i % 9 == 3 else rng.randint(120, 330)
        orders.append(
            _order(patient, protocol, today, rng, signed=-rng.randint(100, 300), expires=expires)
        )
        if protocol.needs_authorization:
            payer, plan_name = PAYERS[patient.pk % len(PAYERS)]
            visits = UNIT_VISITS.get(protocol.code, 2 if i % 3 == 0 else 6)
            auths.append(
                Authorization(
                    patient=patient,
                    payer=payer,
                    plan=plan_name,
                    member_id=f"{payer[:2].upper()}{100000 + patient.pk}",
                    number=f"PA-{today.year}-{patient.pk:05d}",
                    valid_from=today,
                    valid_to=today + dt.timedelta(days=18 if i % 12 == 0 else rng.randint(90, 170)),
                    hcpcs=[protocol.billing_code],
                    visits_approved=visits,
                )
            )
    TreatmentOrder.objects.bulk_create(orders, batch_size=1000)
    Authorization.objects.bulk_create(auths, batch_size=1000)
    BodyMeasurement.objects.bulk_create(bodies, batch_size=1000)
    Allergy.objects.bulk_create(allergies, batch_size=1000)
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                action="order_created",
                actor_label="demo",
                after={"patient_id": o.patient_id, "order_id": o.pk, "protocol": o.protocol.code},
            )
            for o in orders
        ]
        + [
            AuditEvent(
                action="authorization_created",
                actor_label="demo",
                after={"patient_id": a.patient_id, "authorization_id": a.pk, "number": a.number},
            )
            for a in auths
        ],
        batch_size=2000,
    )
    demo.report.created["treatment orders"] += len(orders)
    demo.report.created["authorizations"] += len(auths)
    demo.report.created["allergies"] += len(allergies)


def _order(patient, protocol, today, rng, *, signed: int, expires: int) -> TreatmentOrder:
    signed_on = today + dt.timedelta(days=signed)
    expires_on = max(today + dt.timedelta(days=expires), signed_on)
    return TreatmentOrder(
        patient=patient,
        protocol=protocol,
        provider=rng.choice(PROVIDERS),
        signed_on=signed_on,
        expires_on=expires_on,
        dose_mg_per_m2=Decimal("12") if protocol.dose_unit == "mg/m2" else None,
        # Doses given before the order are inside its span: an end date, not a count, bounds it.
        end_date=expires_on,
    )


def _body(patient, today, rng) -> BodyMeasurement:
    bsa = float(patient.body_surface_area or round(rng.uniform(1.6, 2.1), 2))
    height = rng.randint(155, 190)
    return BodyMeasurement(
        patient=patient,
        measured_on=today - dt.timedelta(days=rng.randint(5, 60)),
        height_cm=Decimal(height),
        weight_kg=Decimal(str(round(bsa * bsa * 3600 / height, 1))),
    )
