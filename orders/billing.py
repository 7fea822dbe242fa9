"""Billing arithmetic, PURE Python (no Django): body surface area, drug units, the CPT time
rules for infusion administration, and the cost of one visit at one site of care.

Facts encoded (the project's reference, "Time-based administration billing"):

- Drug units = dose ÷ the HCPCS unit, rounded UP (J9293 is per 5 mg: 22.8 mg → 5 units).
- An infusion of 15 minutes or less is a push (96374; chemotherapy push 96409), not an
  infusion code.
- Otherwise one initial code covers the first hour (96365, or 96413 for chemotherapy and
  complex biologics), and each additional hour is an add-on (96366 / 96415), reportable only
  when the time runs MORE than 30 minutes past the last full hour:
  90 min → initial only; 91–150 → +1; 151–210 → +2; 240 → +3.
- Real claims use the documented start and stop times; a booking uses the planned minutes.

Which family a protocol bills under is data (the catalogue's ``admin_code_family``); the
families themselves are CPT facts, not drug facts, so they live here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

PUSH_MAX_MINUTES = 15
ADDON_THRESHOLD_MINUTES = 30


@dataclass(frozen=True)
class CodeFamily:
    """The administration codes of one CPT family."""

    initial: str
    add_on: str
    push: str


FAMILIES: dict[str, CodeFamily] = {
    # Therapeutic, prophylactic or diagnostic infusion.
    "infusion": CodeFamily(initial="96365", add_on="96366", push="96374"),
    # Chemotherapy and highly complex drugs or biologics.
    "chemo": CodeFamily(initial="96413", add_on="96415", push="96409"),
}


@dataclass(frozen=True)
class CodeUnits:
    code: str
    units: int


def mosteller_bsa(height_cm: float, weight_kg: float) -> Decimal:
    """Body surface area in m² by Mosteller: √(height cm × weight kg / 3600), to 0.01 m²."""
    if height_cm <= 0 or weight_kg <= 0:
        raise ValueError("Height and weight must be positive.")
    bsa = math.sqrt(height_cm * weight_kg / 3600.0)
    return Decimal(str(bsa)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def dose_from_bsa(mg_per_m2: Decimal, bsa_m2: Decimal) -> Decimal:
    """A per-m² dose in mg for this body surface area, to 0.1 mg (12 mg/m² × 1.90 → 22.8)."""
    return (Decimal(mg_per_m2) * Decimal(bsa_m2)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def drug_units(dose: Decimal, unit_amount: Decimal) -> int:
    """HCPCS units billed for a dose: dose ÷ unit, rounded up (a partial unit is a unit)."""
    if unit_amount <= 0:
        raise ValueError("The HCPCS unit must be positive.")
    if dose <= 0:
        return 0
    return int((Decimal(dose) / Decimal(unit_amount)).to_integral_value(rounding=ROUND_CEILING))


def add_on_hours(infusion_minutes: int) -> int:
    """Additional hours after the first, each counted only when > 30 min past the last full
    hour (the CPT rule for 96366 / 96415)."""
    extra = infusion_minutes - 60
    if extra <= 0:
        return 0
    full, rest = divmod(extra, 60)
    return full + (1 if rest > ADDON_THRESHOLD_MINUTES else 0)


def admin_codes(infusion_minutes: int, family: str = "infusion") -> list[CodeUnits]:
    """Administration codes and units for one infusion of `infusion_minutes`."""
    fam = FAMILIES[family]
    if infusion_minutes <= 0:
        return []
    if infusion_minutes <= PUSH_MAX_MINUTES:
        return [CodeUnits(fam.push, 1)]
    codes = [CodeUnits(fam.initial, 1)]
    extra = add_on_hours(infusion_minutes)
    if extra:
        codes.append(CodeUnits(fam.add_on, extra))
    return codes


@dataclass(frozen=True)
class SitePrices:
    """One site of care's price table, as plain numbers (dollars).

    Drug: `drug_price_per_unit[hcpcs]` when the site has a price for the code, else the
    acquisition cost per unit × `drug_price_percent` / 100 (a hospital buy-and-bill price is
    about 290 % of acquisition). Administration: a fee per code unit. Facility: a fee per visit.
    """

    site: str
    drug_price_percent: Decimal
    facility_fee: Decimal
    admin_fees: dict[str, Decimal] = field(default_factory=dict)
    drug_price_per_unit: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class VisitCost:
    site: str
    drug: Decimal | None
    administration: Decimal
    facility: Decimal

    @property
    def total(self) -> Decimal | None:
        if self.drug is None:
            return None
        return self.drug + self.administration + self.facility


def visit_cost(
    *,
    prices: SitePrices,
    hcpcs: str,
    units: int | None,
    acquisition_per_unit: Decimal | None,
    codes: list[CodeUnits],
) -> VisitCost:
    """What one visit costs at one site: drug + administration codes + facility fee.
    The drug part is None when the units or the price are unknown (never a made-up number)."""
    drug = None
    if units is not None:
        per_unit = prices.drug_price_per_unit.get(hcpcs)
        if per_unit is None and acquisition_per_unit is not None:
            per_unit = Decimal(acquisition_per_unit) * Decimal(prices.drug_price_percent) / 100
        if per_unit is not None:
            drug = (Decimal(units) * per_unit).quantize(Decimal("0.01"))
    administration = sum(
        (Decimal(prices.admin_fees.get(c.code, 0)) * c.units for c in codes), Decimal(0)
    ).quantize(Decimal("0.01"))
    return VisitCost(
        site=prices.site,
        drug=drug,
        administration=administration,
        facility=Decimal(prices.facility_fee).quantize(Decimal("0.01")),
    )
