"""Reads for orders, authorizations, body size, cumulative dose and cost (query-count
conscious: one patient's rows are read once into a PatientLedger and every figure is computed
from it)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from orders import billing
from orders.models import (
    Allergy,
    Authorization,
    BodyMeasurement,
    DrugCost,
    OrdersSettings,
    SiteOfCare,
    TreatmentOrder,
)
from patients.models import Patient, PatientProtocol
from scheduling import engine
from scheduling.models import (
    HELD_STATUSES,
    DoseRule,
    InfusionSession,
    Protocol,
    SessionStatus,
    center_settings_scope,
)
from scheduling.world import center_tz, dose_rule_specs

PER_M2 = "mg/m2"


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class HeldDose:
    """A dose booked or given (completed), as the ledger needs it."""

    session_id: int | None
    protocol_id: int
    dose_number: int
    day: dt.date
    option: str
    infusion_minutes: int | None
    given: bool


@dataclass(frozen=True)
class PlannedDose:
    """What one dose is: in mg (None when a per-m² dose has no body surface area yet)."""

    dose_mg: Decimal | None
    dose_per_m2: Decimal | None
    bsa: Decimal | None
    order: TreatmentOrder | None
    amount: Decimal | None  # in the protocol's dose unit (mg or mg/m²), for the lifetime cap


@dataclass
class AuthorizationUse:
    authorization: Authorization
    visits_used: int = 0
    visits_given: int = 0
    units_used: int = 0
    units_given: int = 0
    booked_after_end: int = 0

    @property
    def visits_left(self) -> int | None:
        a = self.authorization
        return None if a.visits_approved is None else a.visits_approved - self.visits_used

    @property
    def units_left(self) -> int | None:
        a = self.authorization
        return None if a.units_approved is None else a.units_approved - self.units_used


@dataclass
class CumulativeDose:
    protocol: Protocol
    cap: Decimal
    given: Decimal
    booked: Decimal

    @property
    def headroom(self) -> Decimal:
        return self.cap - self.given

    @property
    def left_after_booked(self) -> Decimal:
        return self.cap - self.given - self.booked


@dataclass
class PatientLedger:
    """One patient's orders and held doses, read at once; authorizations, measurements, the
    protocols with their dose rules and doses given elsewhere read on first use (a booking of
    a protocol without a cap or an authorization needs none of them: each read is a round
    trip inside the booking's transaction)."""

    patient: Patient
    orders: list[TreatmentOrder]
    held: list[HeldDose]
    _authorizations: list[Authorization] | None = None
    _measurements: list[BodyMeasurement] | None = None
    _protocols: dict[int, Protocol] | None = None
    _doses_before: dict[int, int] | None = None
    _extra: dict[int, Protocol] = field(default_factory=dict)
    _specs: dict[int, list] = field(default_factory=dict)

    @property
    def authorizations(self) -> list[Authorization]:
        if self._authorizations is None:
            self._authorizations = list(Authorization.objects.filter(patient=self.patient))
        return self._authorizations

    @property
    def measurements(self) -> list[BodyMeasurement]:
        if self._measurements is None:
            self._measurements = list(BodyMeasurement.objects.filter(patient=self.patient))
        return self._measurements

    @property
    def doses_before(self) -> dict[int, int]:
        if self._doses_before is None:
            self._doses_before = dict(
                PatientProtocol.objects.filter(patient=self.patient, active=True).values_list(
                    "protocol_id", "doses_before_center"
                )
            )
        return self._doses_before

    @property
    def protocols(self) -> dict[int, Protocol]:
        """Every protocol of the held doses and orders, with dose rules prefetched."""
        if self._protocols is None:
            ids = {h.protocol_id for h in self.held} | {o.protocol_id for o in self.orders}
            loaded = {
                p.pk: p
                for p in Protocol.objects.filter(pk__in=ids).prefetch_related(
                    Prefetch(
                        "dose_rules", queryset=DoseRule.objects.order_by("from_dose", "option")
                    )
                )
            }
            self._protocols = {**self._extra, **loaded}
        return self._protocols

    # -- body size -------------------------------------------------------------------------

    def bsa_on(self, day: dt.date | None = None) -> Decimal | None:
        """Body surface area from the latest height and weight on or before `day` (Mosteller),
        else the BSA typed on the patient record."""
        for m in self.measurements:  # newest first
            if day is None or m.measured_on <= day:
                return m.bsa
        return _d(self.patient.body_surface_area)

    # -- doses -----------------------------------------------------------------------------

    def specs(self, protocol: Protocol):
        if protocol.pk not in self._specs:
            # The prefetched copy when the protocols are loaded; else the caller's object.
            known = (self._protocols or {}).get(protocol.pk, protocol)
            self._specs[protocol.pk] = dose_rule_specs(known)
        return self._specs[protocol.pk]

    def rule_amount(self, protocol: Protocol, dose_number: int, option: str) -> Decimal | None:
        try:
            rule = engine.rule_for(self.specs(protocol), dose_number, option or "standard")
        except ValueError:
            return None
        return _d(rule.dose_amount)

    def order_on(self, protocol: Protocol, day: dt.date) -> TreatmentOrder | None:
        """The most recently signed live order for the protocol whose span holds `day`."""
        for order in self.orders:
            if (
                order.protocol_id == protocol.pk
                and order.cancelled_at is None
                and order.signed_on <= day <= order.last_day
            ):
                return order
        return None

    def planned_dose(
        self,
        protocol: Protocol,
        dose_number: int,
        day: dt.date,
        option: str = "standard",
        order: TreatmentOrder | None = None,
    ) -> PlannedDose:
        """The dose for this visit. A per-m² order (mitoxantrone) sets the dose per m², which
        becomes mg through the body surface area on that day; a flat order in mg sets the
        dose up to the catalogue's amount for that dose number."""
        order = order or self.order_on(protocol, day)
        rule = self.rule_amount(protocol, dose_number, option)
        if protocol.dose_unit == PER_M2:
            bsa = self.bsa_on(day)
            per_m2 = (order.dose_mg_per_m2 if order else None) or rule
            mg = billing.dose_from_bsa(per_m2, bsa) if per_m2 and bsa else None
            return PlannedDose(dose_mg=mg, dose_per_m2=per_m2, bsa=bsa, order=order, amount=per_m2)
        ordered = order.dose_mg if order else None
        # The order can lower a dose (a reduced maintenance dose, 500 mg steroids) but a start
        # dose keeps the catalogue's smaller amount (Ocrevus 300 mg doses 1–2 on a 600 mg order).
        mg = min(ordered, rule) if ordered and rule else (ordered or rule)
        # A flat dose needs no body size (and no read of the measurements).
        return PlannedDose(dose_mg=mg, dose_per_m2=None, bsa=None, order=order, amount=mg)

    def drug_units(self, protocol: Protocol, dose: PlannedDose) -> int | None:
        unit = protocol.billing_unit_amount
        if not protocol.billing_code or unit is None or dose.dose_mg is None:
            return None
        return billing.drug_units(dose.dose_mg, Decimal(unit))

    def held_of(self, protocol: Protocol, *, exclude=()) -> list[HeldDose]:
        return [
            h for h in self.held if h.protocol_id == protocol.pk and h.session_id not in exclude
        ]

    # -- lifetime cap ----------------------------------------------------------------------

    def cumulative(self, protocol: Protocol, *, exclude=()) -> CumulativeDose | None:
        """Lifetime cumulative dose (protocol's unit) from doses given, and booked ahead.
        Doses given elsewhere before this center count at the catalogue's amount."""
        if protocol.lifetime_cap is None:
            return None
        given = booked = Decimal(0)
        for n in range(1, self.doses_before.get(protocol.pk, 0) + 1):
            given += self.rule_amount(protocol, n, "standard") or 0
        for h in self.held_of(protocol, exclude=exclude):
            amount = self.planned_dose(protocol, h.dose_number, h.day, h.option).amount or 0
            if h.given:
                given += amount
            else:
                booked += amount
        return CumulativeDose(
            protocol=protocol, cap=Decimal(protocol.lifetime_cap), given=given, booked=booked
        )

    # -- authorizations --------------------------------------------------------------------

    def authorizations_for(self, protocol: Protocol) -> list[Authorization]:
        return [
            a
            for a in self.authorizations
            if a.voided_at is None and a.covers_code(protocol.billing_code)
        ]

    def authorization_use(self, auth: Authorization, *, exclude=()) -> AuthorizationUse:
        """Visits and units of an authorization used by doses booked or given in its window."""
        use = AuthorizationUse(authorization=auth)
        codes = set(auth.hcpcs or [])
        for h in self.held:
            if h.session_id in exclude:
                continue
            protocol = self.protocols[h.protocol_id]
            if codes and protocol.billing_code not in codes:
                continue
            if h.day > auth.valid_to and not h.given:
                use.booked_after_end += 1
            if not (auth.valid_from <= h.day <= auth.valid_to):
                continue
            units = self.drug_units(protocol, self.planned_dose(protocol, h.dose_number, h.day))
            use.visits_used += 1
            use.units_used += units or 0
            if h.given:
                use.visits_given += 1
                use.units_given += units or 0
        return use


def ledger(patient: Patient) -> PatientLedger:
    """One patient's coverage: held doses and orders now (two queries), the rest on use."""
    tz = center_tz()
    sessions = list(
        InfusionSession.objects.filter(patient=patient, status__in=HELD_STATUSES)
        .order_by("start")
        .values_list(
            "pk",
            "protocol_id",
            "dose_number",
            "start",
            "option",
            "infusion_start",
            "infusion_end",
            "status",
        )
    )
    held = [
        HeldDose(
            session_id=pk,
            protocol_id=protocol_id,
            dose_number=n,
            day=start.astimezone(tz).date(),
            option=option,
            infusion_minutes=int((i_end - i_start).total_seconds() // 60)
            if i_start and i_end
            else None,
            given=status == SessionStatus.COMPLETED,
        )
        for pk, protocol_id, n, start, option, i_start, i_end, status in sessions
    ]
    orders = list(
        TreatmentOrder.objects.filter(patient=patient)
        .select_related("protocol")
        .order_by("-signed_on", "-pk")
    )
    return PatientLedger(patient=patient, orders=orders, held=held)


def ledgers(patient_ids) -> dict[int, PatientLedger]:
    """Ledgers of many patients in a fixed number of queries (the worklist and the cost page):
    sessions, orders, authorizations, measurements, treatments and the whole catalogue each
    read once for all of them."""
    ids = set(patient_ids)
    if not ids:
        return {}
    tz = center_tz()
    patients = Patient.objects.in_bulk(ids)
    catalogue = {
        p.pk: p
        for p in Protocol.objects.prefetch_related(
            Prefetch("dose_rules", queryset=DoseRule.objects.order_by("from_dose", "option"))
        )
    }
    held: dict[int, list[HeldDose]] = {pid: [] for pid in ids}
    for pid, pk, protocol_id, n, start, option, i_start, i_end, status in (
        InfusionSession.objects.filter(patient_id__in=ids, status__in=HELD_STATUSES)
        .order_by("start")
        .values_list(
            "patient_id",
            "pk",
            "protocol_id",
            "dose_number",
            "start",
            "option",
            "infusion_start",
            "infusion_end",
            "status",
        )
    ):
        held[pid].append(
            HeldDose(
                session_id=pk,
                protocol_id=protocol_id,
                dose_number=n,
                day=start.astimezone(tz).date(),
                option=option,
                infusion_minutes=int((i_end - i_start).total_seconds() // 60)
                if i_start and i_end
                else None,
                given=status == SessionStatus.COMPLETED,
            )
        )
    orders: dict[int, list] = {pid: [] for pid in ids}
    for o in TreatmentOrder.objects.filter(patient_id__in=ids).order_by("-signed_on", "-pk"):
        o.protocol = catalogue[o.protocol_id]
        orders[o.patient_id].append(o)
    auths: dict[int, list] = {pid: [] for pid in ids}
    for a in Authorization.objects.filter(patient_id__in=ids):
        auths[a.patient_id].append(a)
    bodies: dict[int, list] = {pid: [] for pid in ids}
    for m in BodyMeasurement.objects.filter(patient_id__in=ids):
        bodies[m.patient_id].append(m)
    before: dict[int, dict] = {pid: {} for pid in ids}
    for pid, protocol_id, n in PatientProtocol.objects.filter(
        patient_id__in=ids, active=True
    ).values_list("patient_id", "protocol_id", "doses_before_center"):
        before[pid][protocol_id] = n
    return {
        pid: PatientLedger(
            patient=patients[pid],
            orders=orders[pid],
            held=held[pid],
            _authorizations=auths[pid],
            _measurements=bodies[pid],
            _protocols=catalogue,
            _doses_before=before[pid],
        )
        for pid in ids
        if pid in patients
    }


def with_protocol(book: PatientLedger, protocol: Protocol) -> PatientLedger:
    """Make sure the ledger knows `protocol` (a first booking of a new protocol)."""
    if book._protocols is None:
        book._extra.setdefault(protocol.pk, protocol)
    elif protocol.pk not in book._protocols:
        book._protocols[protocol.pk] = protocol
    return book


# --- status lists for pages and worklists ----------------------------------------------------


@dataclass(frozen=True)
class OrderStatus:
    order: TreatmentOrder
    state: str  # active | expiring | expired | used_up | cancelled | future
    doses_used: int
    days_left: int

    @property
    def label(self) -> str:
        return {
            "active": "Active",
            "expiring": f"Expires in {self.days_left} days",
            "expired": "Expired",
            "used_up": "All doses used",
            "cancelled": "Cancelled",
            "future": "Not yet in effect",
        }[self.state]


def order_statuses(book: PatientLedger, *, today: dt.date, warn_days: int) -> list[OrderStatus]:
    out = []
    for o in book.orders:
        used = sum(
            1
            for h in book.held
            if h.protocol_id == o.protocol_id and o.signed_on <= h.day <= o.last_day
        )
        days_left = (o.last_day - today).days
        if o.cancelled_at:
            state = "cancelled"
        elif o.last_day < today:
            state = "expired"
        elif o.doses is not None and used >= o.doses:
            state = "used_up"
        elif o.signed_on > today:
            state = "future"
        elif days_left <= warn_days:
            state = "expiring"
        else:
            state = "active"
        out.append(OrderStatus(order=o, state=state, doses_used=used, days_left=days_left))
    return out


@dataclass(frozen=True)
class PatientCoverage:
    """What the patient page shows about readiness to infuse."""

    orders: list[OrderStatus]
    authorizations: list[AuthorizationUse]
    allergies: list[Allergy]
    bsa: Decimal | None
    latest_measurement: BodyMeasurement | None
    cumulative: list[CumulativeDose]


@center_settings_scope
def patient_coverage(*, patient: Patient, today: dt.date | None = None) -> PatientCoverage:
    from django.utils import timezone

    today = today or timezone.now().astimezone(center_tz()).date()
    book = ledger(patient)
    warn = OrdersSettings.load().expiry_warning_days
    # A treatment with doses given elsewhere counts towards a lifetime cap too.
    missing = set(book.doses_before) - set(book.protocols)
    for p in Protocol.objects.filter(pk__in=missing).prefetch_related("dose_rules"):
        with_protocol(book, p)
    cumulative = [
        c
        for p in book.protocols.values()
        if p.lifetime_cap is not None and (c := book.cumulative(p)) is not None
    ]
    return PatientCoverage(
        orders=order_statuses(book, today=today, warn_days=warn),
        authorizations=[
            book.authorization_use(a) for a in book.authorizations if a.voided_at is None
        ],
        allergies=list(Allergy.objects.filter(patient=patient, active=True)),
        bsa=book.bsa_on(today),
        latest_measurement=book.measurements[0] if book.measurements else None,
        cumulative=cumulative,
    )


def allergies_by_patient(patient_ids) -> dict[int, list[str]]:
    """Active allergies per patient, for the roster and the board (one query)."""
    out: dict[int, list[str]] = {}
    for pid, substance in (
        Allergy.objects.filter(patient_id__in=set(patient_ids), active=True)
        .order_by("substance")
        .values_list("patient_id", "substance")
    ):
        out.setdefault(pid, []).append(substance)
    return out


def price_tables() -> tuple[list[SiteOfCare], dict[str, billing.SitePrices], dict[str, Decimal]]:
    """Every site's price table and the acquisition costs, as the pure billing module's data."""
    sites = list(SiteOfCare.objects.prefetch_related("prices"))
    tables = {}
    for s in sites:
        admin = {p.code: p.amount for p in s.prices.all() if p.kind == "admin"}
        drug = {p.code: p.amount for p in s.prices.all() if p.kind == "drug"}
        tables[s.code] = billing.SitePrices(
            site=s.code,
            drug_price_percent=s.drug_price_percent,
            facility_fee=s.facility_fee,
            admin_fees=admin,
            drug_price_per_unit=drug,
        )
    acquisition = dict(DrugCost.objects.values_list("hcpcs", "acquisition_per_unit"))
    return sites, tables, acquisition


# --- worklists ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationAlert:
    use: AuthorizationUse
    reasons: list[str]
    days_left: int


@center_settings_scope
def authorization_worklist(*, today: dt.date, within_days: int = 30) -> list[AuthorizationAlert]:
    """Authorizations ending within `within_days` (or ended with doses still booked after
    them), or with at most one visit or one dose of units left. Soonest first."""
    horizon = today + dt.timedelta(days=within_days)
    candidates = list(
        Authorization.objects.filter(
            voided_at__isnull=True, valid_to__gte=today - dt.timedelta(days=within_days)
        )
        .select_related("patient")
        .order_by("valid_to", "pk")
    )
    books = ledgers({a.patient_id for a in candidates})
    out = []
    for a in candidates:
        book = books[a.patient_id]
        use = book.authorization_use(a)
        reasons = []
        if a.valid_to < today:
            if use.booked_after_end:
                reasons.append(f"ended; {use.booked_after_end} session(s) booked after it")
            else:
                continue
        elif a.valid_to <= horizon:
            reasons.append(f"ends in {(a.valid_to - today).days} days")
        if use.visits_left is not None and use.visits_left <= 1:
            reasons.append("no visits left" if use.visits_left <= 0 else "1 visit left")
        if a.units_approved and use.units_left is not None:
            per_dose = max(
                (
                    book.drug_units(
                        book.protocols[h.protocol_id],
                        book.planned_dose(
                            book.protocols[h.protocol_id], h.dose_number, h.day, h.option
                        ),
                    )
                    or 0
                    for h in book.held
                    if book.protocols[h.protocol_id].billing_code in (a.hcpcs or [])
                ),
                default=0,
            )
            if use.units_left <= 0 or (per_dose and use.units_left < per_dose):
                reasons.append(f"{use.units_left} units left")
        if reasons:
            out.append(
                AuthorizationAlert(use=use, reasons=reasons, days_left=(a.valid_to - today).days)
            )
    return out


def order_worklist(*, today: dt.date, within_days: int = 30) -> list[tuple[Patient, OrderStatus]]:
    """Current patients' orders that expire within `within_days`, have expired or are used up
    (the newest order per patient and protocol only: a renewed order clears the old one)."""
    orders = (
        TreatmentOrder.objects.filter(cancelled_at__isnull=True)
        .select_related("patient", "protocol")
        .order_by("patient_id", "protocol_id", "-signed_on", "-pk")
    )
    active = set(
        PatientProtocol.objects.filter(active=True).values_list("patient_id", "protocol_id")
    )
    newest = {}
    for o in orders:
        newest.setdefault((o.patient_id, o.protocol_id), o)
    out = []
    for (pid, prid), o in newest.items():
        if (pid, prid) not in active:
            continue
        book = PatientLedger(patient=o.patient, orders=[o], held=[])
        (status,) = order_statuses(book, today=today, warn_days=within_days)
        if status.state in ("expiring", "expired"):
            out.append((o.patient, status))
    out.sort(key=lambda t: t[1].order.last_day)
    return out


def order_flags(pairs, *, today: dt.date, warn_days: int) -> dict[tuple[int, int], str]:
    """For (patient id, protocol id) pairs: "none", "expired" or "expiring" when the newest
    order is not simply active (one query, for the due worklist)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    newest: dict[tuple[int, int], TreatmentOrder] = {}
    for o in TreatmentOrder.objects.filter(
        patient_id__in={p for p, _ in pairs}, cancelled_at__isnull=True
    ).order_by("-signed_on", "-pk"):
        newest.setdefault((o.patient_id, o.protocol_id), o)
    flags = {}
    for pair in pairs:
        o = newest.get(pair)
        if o is None:
            flags[pair] = "none"
        elif o.last_day < today:
            flags[pair] = "expired"
        elif (o.last_day - today).days <= warn_days:
            flags[pair] = "expiring"
    return flags
