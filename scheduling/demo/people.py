"""Demo patients: a realistic mix, each with a story (protocol, where they are in it, when the
next dose falls due), contact preferences, REMS authorizations and lab histories.

Created in bulk (thousands of rows): no Faker, names from short fixed lists, every number from
the seeded random source, so the same day always gives the same demo.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from patients.models import LabResult, LabStatus, Patient, PatientProtocol, normalize_mobile
from scheduling.models import LabRequirement, Protocol

MRN_PREFIX = "DEMO-"
DEFAULT_PATIENTS = 1550

# Share of patients per protocol (per mille). Tysabri every 4 weeks and Ocrevus every 6 months
# are most of an MS infusion center's work; then Briumvi, Zunovo, Tyruko, a few Lemtrada
# courses, relapses treated with IV steroids, and mitoxantrone for the last few.
PROTOCOL_MIX = (
    ("natalizumab", 440),
    ("ocrelizumab_iv", 330),
    ("ublituximab", 80),
    ("ocrelizumab_hyaluronidase_sc", 50),
    ("natalizumab_sztn", 50),
    ("alemtuzumab", 22),
    ("methylprednisolone_relapse", 13),
    ("mitoxantrone", 8),
)
# When patients like to come (local minutes after midnight): mornings mostly.
PREFERRED_STARTS = (420, 450, 480, 510, 540, 570, 600, 630, 660, 720, 780, 840, 900)

FIRST_NAMES = (
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Christopher",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Emily",
    "Joshua",
    "Michelle",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Stephanie",
    "Timothy",
    "Rebecca",
    "Jason",
    "Laura",
    "Ryan",
    "Rachel",
    "Jacob",
    "Megan",
    "Nicole",
    "Olivia",
    "Sofia",
    "Camila",
    "Mateo",
    "Wei",
    "Mei",
    "Arjun",
    "Fatima",
    "Omar",
    "Yuki",
    "Chloe",
    "Grace",
    "Noah",
    "Hannah",
    "Diego",
    "Ana",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kowalski",
    "Murphy",
    "O'Brien",
    "Schmidt",
    "Novak",
    "Haddad",
    "Tanaka",
    "Kim",
    "Singh",
    "Cohen",
    "Rossi",
)
# Fictional 555-01xx numbers in real area codes: valid for phonenumbers, never a real phone.
AREA_CODES = ("617", "857", "508", "781", "978", "774", "413", "212", "312", "310")


@dataclass
class Plan:
    """One demo patient's story."""

    patient: Patient
    protocol: Protocol
    scenario: str  # maintenance | new | course2 | relapse
    next_due: dt.date  # when the next dose falls due (history is built backwards from it)
    last_dose: int  # highest dose given (0 for a new start)
    interval: int  # days between maintenance doses
    preferred: int  # local minutes: when this patient usually comes
    book: bool = True  # booked when due in the two weeks (False: left for the due worklist)
    option: str = "standard"
    series_length: int | None = None
    labs: str = "current"  # current | expired | missing | ordered
    treatment: PatientProtocol | None = None
    no_show_risk: float = 0.03
    history: list = None  # engine.GivenDose, filled by the history step


def counts(n: int, protocols) -> list[tuple[str, int]]:
    """Largest-remainder split of n over the mix; each protocol at least one when n allows."""
    mix = [(c, w) for c, w in PROTOCOL_MIX if c in protocols]
    total = sum(w for _, w in mix)
    raw = [(c, n * w / total) for c, w in mix]
    out = {c: int(x) for c, x in raw}
    if n >= len(mix):
        for c in out:
            out[c] = max(1, out[c])
    rest = n - sum(out.values())
    for c, _ in sorted(raw, key=lambda cx: cx[1] - int(cx[1]), reverse=True):
        if rest <= 0:
            break
        out[c] += 1
        rest -= 1
    while rest < 0:
        big = max(out, key=out.get)
        out[big] -= 1
        rest += 1
    return [(c, out[c]) for c, _ in mix]


def patients(demo) -> None:
    """Create the patients, their treatments and labs in bulk, and each one's plan."""
    rng = demo.rng
    rows, plans, index = [], [], 0
    for code, count in counts(demo.n, demo.protocols):
        protocol = demo.protocols[code]
        for i in range(count):
            index += 1
            patient = _patient(demo, index, code)
            rows.append(patient)
            plans.append(_plan(demo, patient, protocol, i))
    Patient.objects.bulk_create(rows, batch_size=1000)
    treatments = []
    for i, plan in enumerate(plans):
        plan.treatment = PatientProtocol(
            patient=plan.patient,
            protocol=plan.protocol,
            started_on=None,
            shorter_infusion_eligible=plan.option == "shorter"
            or (plan.protocol.code == "ocrelizumab_iv" and rng.random() < 0.2),
            rems_authorized_until=_rems_until(demo, plan.protocol, i),
            doses_before_center=max(0, plan.last_dose - 1),
        )
        treatments.append(plan.treatment)
    PatientProtocol.objects.bulk_create(treatments, batch_size=1000)
    _labs(demo, plans)
    demo.plans = plans
    demo.report.created["patients"] = len(plans)


def _patient(demo, index: int, code: str) -> Patient:
    rng = demo.rng
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    age_days = rng.randint(22 * 365, 68 * 365)
    tz = rng.choices(["America/New_York", "America/Chicago", "America/Los_Angeles"], [88, 8, 4])[0]
    email_only = index % 17 == 5
    mobile = (
        ""
        if email_only
        else normalize_mobile(
            f"+1{AREA_CODES[(index - 1) // 100 % len(AREA_CODES)]}5550{100 + (index - 1) % 100}"
        )
    )
    opted_out = not email_only and index % 10 == 3
    channel = "email" if email_only else rng.choices(["both", "email", "sms"], [60, 20, 20])[0]
    local = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return Patient(
        mrn=f"{MRN_PREFIX}{index:04d}",
        first_name=first,
        last_name=last,
        date_of_birth=demo.today - dt.timedelta(days=age_days),
        email=f"{local}{index}@example.org",
        mobile=mobile,
        preferred_channel=channel,
        sms_consent=not email_only,
        sms_opted_out_at=demo.now - dt.timedelta(days=rng.randint(5, 200)) if opted_out else None,
        time_zone=tz,
        preferred_minute=rng.choice(PREFERRED_STARTS[:10]) if rng.random() < 0.3 else None,
        body_surface_area=round(rng.uniform(1.55, 2.1), 2) if code == "mitoxantrone" else None,
    )


def _rems_until(demo, protocol: Protocol, i: int) -> dt.date | None:
    if not protocol.rems_program:
        return None
    if i % 11 == 2:  # lapsed: the roster shows "not authorized" until someone re-verifies
        return demo.today - dt.timedelta(days=demo.rng.randint(2, 20))
    return demo.today + dt.timedelta(days=demo.rng.randint(30, 170))


def _plan(demo, patient: Patient, protocol: Protocol, i: int) -> Plan:
    """The i-th patient of a protocol: a fixed pattern (small demos still show every case) with
    random details. Due dates are spread evenly over the interval, as in a running center."""
    rng = demo.rng
    code = protocol.code
    today = demo.today
    preferred = patient.preferred_minute or rng.choice(PREFERRED_STARTS)
    labs = {1: "expired", 3: "missing", 4: "ordered"}.get(i % 11, "current")
    plan = Plan(
        patient=patient,
        protocol=protocol,
        scenario="maintenance",
        next_due=today,
        last_dose=0,
        interval=28,
        preferred=preferred,
        labs=labs,
    )
    # Patients booked long ahead forget more often; a few miss often.
    plan.no_show_risk = 0.12 if i % 29 == 5 else 0.025
    if code in ("natalizumab", "natalizumab_sztn"):
        if i % 40 == 39:
            plan.scenario, plan.next_due = "new", today + dt.timedelta(days=rng.randint(1, 12))
        else:
            plan.last_dose = rng.randint(3, 12) if rng.random() < 0.2 else rng.randint(13, 90)
            plan.next_due = today + dt.timedelta(days=rng.randint(-3, 24))
            if i % 31 == 7:  # past the window and not booked: the worklist's overdue
                plan.next_due = today - dt.timedelta(days=rng.randint(9, 16))
                plan.book = False
            elif i % 11 == 2:  # REMS lapsed (see _rems_until) and due soon: on the roster
                plan.next_due = today + dt.timedelta(days=rng.randint(1, 10))
    elif code in ("ocrelizumab_iv", "ublituximab", "ocrelizumab_hyaluronidase_sc"):
        plan.interval = 168
        first_maintenance = 2 if code == "ocrelizumab_hyaluronidase_sc" else 3
        if i % 45 == 44 and code != "ocrelizumab_hyaluronidase_sc":
            plan.scenario, plan.next_due = "new", today + dt.timedelta(days=rng.randint(2, 11))
        else:
            plan.last_dose = rng.randint(first_maintenance, first_maintenance + 9)
            plan.next_due = today + dt.timedelta(days=rng.randint(0, 167))
            if code == "ocrelizumab_iv" and i % 4 == 1:
                plan.option = "shorter"
            if i % 37 == 7:
                plan.next_due = today - dt.timedelta(days=rng.randint(16, 30))
                plan.book = False
    elif code == "mitoxantrone":
        plan.interval = 91
        plan.last_dose = rng.randint(2, 6)
        plan.next_due = today + dt.timedelta(days=rng.randint(0, 90))
        plan.labs = "missing" if i == 0 else plan.labs  # the LVEF is what nurses chase
    elif code == "alemtuzumab":
        kind = i % 4
        if kind == 0:
            plan.scenario, plan.next_due = "new", today + dt.timedelta(days=rng.randint(1, 7))
        else:
            plan.scenario, plan.last_dose, plan.interval = "course2", 5, 365
            plan.next_due = today + dt.timedelta(
                days=rng.randint(1, 9) if kind == 1 else rng.randint(30, 270)
            )
    elif code == "methylprednisolone_relapse":
        # A relapse: ordered this week or next, a 3-day course (sometimes 5), nothing before.
        plan.scenario = "relapse"
        plan.next_due = today + dt.timedelta(days=rng.randint(1, 10))
        plan.series_length = 5 if i % 3 == 2 else 3
    # Some due patients are left for the coordinator's due worklist.
    if plan.scenario == "maintenance" and i % 19 == 3 and i % 11 != 2:
        plan.book = False
    return plan


def _labs(demo, plans: list[Plan]) -> None:
    """Results for each test the protocol asks for. One test is spoiled according to
    plan.labs (expired, missing or drawn but not resulted); the rest are in and current."""
    rng = demo.rng
    reqs_by_protocol: dict[int, list] = {}
    for req in (
        LabRequirement.objects.filter(protocol__in=list(demo.protocols.values()))
        .select_related("lab_test")
        .order_by("lab_test__code")
    ):
        reqs_by_protocol.setdefault(req.protocol_id, []).append(req)
    rows = []
    for plan in plans:
        reqs = reqs_by_protocol.get(plan.protocol.pk, [])
        if not reqs:
            continue
        gating = [r for r in reqs if r.gate in ("periodic", "each_dose")] or reqs
        spoiled = gating[plan.patient.pk % len(gating)] if plan.labs != "current" else None
        due_day = max(plan.next_due, demo.today + dt.timedelta(days=1))
        for req in reqs:
            max_age = req.max_age_days or (
                demo.center.each_dose_lab_max_age_days
                if req.gate in ("each_dose", "course_start")
                else None
            )
            mode = plan.labs if req is spoiled else "current"
            if req.gate == "first_dose" and plan.scenario not in ("new", "relapse"):
                mode = "current"
            if mode == "missing":
                continue
            if mode == "ordered":
                rows.append(
                    LabResult(
                        patient=plan.patient,
                        lab_test=req.lab_test,
                        collected_on=demo.today - dt.timedelta(days=rng.randint(0, 3)),
                        status=LabStatus.ORDERED,
                        source="Quest Diagnostics",
                    )
                )
                continue
            if mode == "expired" and max_age:
                drawn = due_day - dt.timedelta(days=max_age + rng.randint(5, 60))
            elif max_age:
                drawn = due_day - dt.timedelta(days=rng.randint(3, max(4, max_age - 3)))
                drawn = min(drawn, demo.today - dt.timedelta(days=1))
            elif req.gate == "first_dose" and plan.scenario not in ("new", "relapse"):
                drawn = demo.today - dt.timedelta(days=rng.randint(400, 1500))
            else:
                drawn = demo.today - dt.timedelta(days=rng.randint(5, 40))
            drawn = min(drawn, demo.today - dt.timedelta(days=1))
            resulted = drawn + dt.timedelta(days=rng.randint(0, 2))
            rows.append(
                LabResult(
                    patient=plan.patient,
                    lab_test=req.lab_test,
                    collected_on=drawn,
                    status=LabStatus.RESULTED,
                    resulted_on=min(resulted, demo.today),
                    value=_value(rng, req.lab_test.code),
                    flag="normal",
                    source=rng.choice(["Quest Diagnostics", "Labcorp", "In-house"]),
                )
            )
    LabResult.objects.bulk_create(rows, batch_size=2000)
    demo.report.created["labs"] += len(rows)


def _value(rng, code: str) -> str:
    return {
        "anti_jcv": f"Negative (index {rng.uniform(0.1, 0.39):.2f})",
        "lvef": f"{rng.randint(55, 68)}%",
        "hbv_screening": "HBsAg negative, anti-HBc negative",
        "pregnancy_test": "Negative",
        "brain_mri": "No new lesions",
        "skin_exam": "No suspicious lesions",
        "vzv_antibodies": "Positive (immune)",
        "tb_screening": "QuantiFERON negative",
    }.get(code, "Within normal limits")
