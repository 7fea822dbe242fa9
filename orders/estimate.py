"""Cost estimates per session and per patient-year, by site of care (ILLUSTRATIVE prices:
see orders/data/prices.yaml). The arithmetic is orders.billing (pure); this module feeds it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from orders import billing
from orders.selectors import PatientLedger, ledger, ledgers, price_tables, with_protocol
from patients.models import Patient, PatientProtocol
from scheduling import engine
from scheduling.models import HELD_STATUSES, InfusionSession, Protocol, center_settings_scope
from scheduling.world import center_tz


@dataclass
class Estimate:
    protocol: Protocol
    dose_number: int
    day: dt.date
    hcpcs: str
    dose_mg: Decimal | None
    dose_per_m2: Decimal | None
    bsa: Decimal | None
    drug_units: int | None
    infusion_minutes: int
    admin_codes: list[billing.CodeUnits]
    costs: dict[str, billing.VisitCost]
    notes: list[str]

    @property
    def sites(self) -> dict[str, float | None]:
        return {
            code: (float(c.total) if c.total is not None else None)
            for code, c in self.costs.items()
        }

    def as_dict(self, session_id: int | None = None) -> dict:
        out = {
            "hcpcs": self.hcpcs,
            "drug_units": self.drug_units,
            "admin_codes": [{"code": c.code, "units": c.units} for c in self.admin_codes],
            "sites": self.sites,
            "protocol": self.protocol.code,
            "dose_number": self.dose_number,
            "date": self.day.isoformat(),
            "dose_mg": float(self.dose_mg) if self.dose_mg is not None else None,
            "dose_mg_per_m2": float(self.dose_per_m2) if self.dose_per_m2 is not None else None,
            "body_surface_area": float(self.bsa) if self.bsa is not None else None,
            "infusion_minutes": self.infusion_minutes,
            "breakdown": {
                code: {
                    "drug": float(c.drug) if c.drug is not None else None,
                    "administration": float(c.administration),
                    "facility": float(c.facility),
                }
                for code, c in self.costs.items()
            },
            "illustrative": True,
            "notes": self.notes,
        }
        if session_id is not None:
            out["session"] = session_id
        return out


def estimate(
    book: PatientLedger,
    *,
    protocol: Protocol,
    dose_number: int,
    day: dt.date,
    option: str,
    infusion_minutes: int | None,
    tables=None,
) -> Estimate:
    """The estimate for one dose of a patient: drug units from the dose (order first, then
    the catalogue; per-m² doses through the BSA), administration codes from the minutes."""
    with_protocol(book, protocol)
    sites, prices, acquisition = tables or price_tables()
    dose = book.planned_dose(protocol, dose_number, day, option)
    units = book.drug_units(protocol, dose)
    notes = []
    if infusion_minutes is None:
        try:
            rule = engine.rule_for(book.specs(protocol), dose_number, option or "standard")
            infusion_minutes = rule.timing.infusion_minutes
        except ValueError:
            infusion_minutes = 0
    if protocol.dose_unit == "mg/m2" and dose.bsa is None:
        notes.append("Record height and weight: the dose in mg needs the body surface area.")
    if protocol.billing_unit_amount is None:
        notes.append(f"The billing unit of {protocol.billing_code or 'this drug'} is not set.")
    if not protocol.is_infusion:
        notes.append("Not an infusion: the administration code is not researched.")
        codes = []
    else:
        codes = billing.admin_codes(infusion_minutes, protocol.admin_code_family)
    costs = {
        s.code: billing.visit_cost(
            prices=prices[s.code],
            hcpcs=protocol.billing_code,
            units=units,
            acquisition_per_unit=acquisition.get(protocol.billing_code),
            codes=codes,
        )
        for s in sites
    }
    if units is not None and protocol.billing_code not in acquisition:
        notes.append(f"No drug price for {protocol.billing_code}: set one in admin.")
    return Estimate(
        protocol=protocol,
        dose_number=dose_number,
        day=day,
        hcpcs=protocol.billing_code,
        dose_mg=dose.dose_mg,
        dose_per_m2=dose.dose_per_m2,
        bsa=dose.bsa,
        drug_units=units,
        infusion_minutes=infusion_minutes,
        admin_codes=codes,
        costs=costs,
        notes=notes,
    )


def _minutes(session: InfusionSession) -> int | None:
    if session.infusion_start and session.infusion_end:
        return int((session.infusion_end - session.infusion_start).total_seconds() // 60)
    return None


def session_estimate(*, session: InfusionSession, book: PatientLedger | None = None, tables=None):
    """The estimate for a booked or given session, at its planned infusion minutes."""
    book = book or ledger(session.patient)
    return estimate(
        book,
        protocol=session.protocol,
        dose_number=session.dose_number,
        day=session.start.astimezone(center_tz()).date(),
        option=session.option,
        infusion_minutes=_minutes(session),
        tables=tables,
    )


@dataclass
class YearEstimate:
    patient: Patient
    year: int
    sites: list
    doses: list[tuple[InfusionSession, Estimate]]

    @property
    def totals(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {}
        for s in self.sites:
            values = [e.costs[s.code].total for _, e in self.doses]
            out[s.code] = None if any(v is None for v in values) else float(sum(values, Decimal(0)))
        return out

    def as_dict(self) -> dict:
        return {
            "patient": self.patient.pk,
            "year": self.year,
            "sites": self.totals,
            "site_names": {s.code: s.name for s in self.sites},
            "doses": [e.as_dict(session_id=s.pk) | {"status": s.status} for s, e in self.doses],
            "illustrative": True,
        }


@center_settings_scope
def patient_year(*, patient: Patient, year: int) -> YearEstimate:
    """This year's doses (given and booked) of a patient, each priced at every site."""
    tz = center_tz()
    first = dt.datetime.combine(dt.date(year, 1, 1), dt.time(0), tzinfo=tz)
    last = dt.datetime.combine(dt.date(year + 1, 1, 1), dt.time(0), tzinfo=tz)
    sessions = list(
        InfusionSession.objects.filter(
            patient=patient, status__in=HELD_STATUSES, start__gte=first, start__lt=last
        )
        .select_related("protocol", "patient")
        .order_by("start")
    )
    book = ledger(patient)
    tables = price_tables()
    doses = [(s, session_estimate(session=s, book=book, tables=tables)) for s in sessions]
    return YearEstimate(patient=patient, year=year, sites=tables[0], doses=doses)


@dataclass
class CenterRow:
    patient: Patient
    protocols: list[str]
    doses: int
    sites: dict[str, float | None]


@center_settings_scope
def center_annual_by_site(*, today: dt.date | None = None):
    """Every current patient (an active treatment) priced over the 12 months around today
    (doses given in the last six months and booked in the next six), at each site of care."""
    tz = center_tz()
    today = today or timezone.now().astimezone(tz).date()
    first = dt.datetime.combine(today - dt.timedelta(days=182), dt.time(0), tzinfo=tz)
    last = dt.datetime.combine(today + dt.timedelta(days=183), dt.time(0), tzinfo=tz)
    patient_ids = set(
        PatientProtocol.objects.filter(active=True).values_list("patient_id", flat=True)
    )
    sessions = (
        InfusionSession.objects.filter(
            patient_id__in=patient_ids, status__in=HELD_STATUSES, start__gte=first, start__lt=last
        )
        .select_related("protocol", "patient")
        .order_by("patient_id", "start")
    )
    tables = price_tables()
    by_patient: dict[int, list[InfusionSession]] = {}
    for s in sessions:
        by_patient.setdefault(s.patient_id, []).append(s)
    rows = []
    totals = {s.code: 0.0 for s in tables[0]}
    books = ledgers(by_patient)
    for group in by_patient.values():
        patient = group[0].patient
        book = books[patient.pk]
        ests = [session_estimate(session=s, book=book, tables=tables) for s in group]
        sites = {}
        for site in tables[0]:
            values = [e.costs[site.code].total for e in ests]
            known = [v for v in values if v is not None]
            sites[site.code] = float(sum(known, Decimal(0)))
            totals[site.code] += sites[site.code]
        rows.append(
            CenterRow(
                patient=patient,
                protocols=sorted({s.protocol.brand_name for s in group}),
                doses=len(group),
                sites=sites,
            )
        )
    rows.sort(key=lambda r: -max(r.sites.values(), default=0))
    return tables[0], rows, totals
