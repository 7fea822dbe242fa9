"""Load the illustrative price tables from orders/data/prices.yaml (only missing rows)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import yaml
from django.db import transaction

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "prices.yaml"


def _default_get_model(app_label, model_name):
    from django.apps import apps

    return apps.get_model(app_label, model_name)


def load_prices(path=None, *, get_model=None, using="default") -> int:
    """Create the sites of care, drug costs and site prices the file has and the database
    lacks. Never overwrites: once a row exists the manager owns it. Returns rows created."""
    data = yaml.safe_load(Path(path or DEFAULT_PATH).read_text())
    get_model = get_model or _default_get_model
    Site = get_model("orders", "SiteOfCare")
    DrugCost = get_model("orders", "DrugCost")
    SitePrice = get_model("orders", "SitePrice")
    created = 0
    with transaction.atomic(using=using):
        for raw in data["sites"]:
            site, new = Site.objects.using(using).get_or_create(
                code=raw["code"],
                defaults={
                    "name": raw["name"],
                    "display_order": raw.get("display_order", 0),
                    "drug_price_percent": Decimal(str(raw["drug_price_percent"])),
                    "facility_fee": Decimal(str(raw["facility_fee"])),
                    "illustrative": True,
                    "source": raw.get("source", "")[:300],
                },
            )
            created += new
            for code, fee in (raw.get("admin_fees") or {}).items():
                _, new = SitePrice.objects.using(using).get_or_create(
                    site=site,
                    kind="admin",
                    code=str(code),
                    defaults={"amount": Decimal(str(fee)), "source": "illustrative"},
                )
                created += new
        for raw in data["drug_costs"]:
            _, new = DrugCost.objects.using(using).get_or_create(
                hcpcs=raw["hcpcs"],
                defaults={
                    "acquisition_per_unit": Decimal(str(raw["acquisition_per_unit"])),
                    "illustrative": True,
                    "source": raw.get("source", "")[:300],
                },
            )
            created += new
    return created
