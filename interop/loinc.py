"""The LOINC → lab test map: seeding from interop/data/loinc_map.yaml and looking codes up."""

from __future__ import annotations

from pathlib import Path

import yaml

DATA_FILE = Path(__file__).resolve().parent / "data" / "loinc_map.yaml"

# FHIR Coding.system URIs and HL7 v2 coding-system names (table 0396) for the same thing.
LOINC_SYSTEM_URI = "http://loinc.org"
LOINC = "LN"
_SYSTEM_ALIASES = {LOINC_SYSTEM_URI: LOINC, "LOINC": LOINC, "LN": LOINC, "": LOINC}


def coding_system(name: str) -> str:
    """The stored name of a coding system given in HL7 (LN, 99LAB) or FHIR (http://loinc.org)."""
    name = (name or "").strip()
    return _SYSTEM_ALIASES.get(name, _SYSTEM_ALIASES.get(name.upper(), name[:20]))


def load_loinc_map(*, get_model=None, update: bool = False) -> int:
    """Create the seeded mappings that are missing (``update`` overwrites edits); returns how many
    rows were written. Codes whose lab test is not in the catalogue are left out. Idempotent."""
    if get_model is None:
        from django.apps import apps

        get_model = apps.get_model
    LoincMapping = get_model("interop", "LoincMapping")
    LabTest = get_model("scheduling", "LabTest")
    data = yaml.safe_load(DATA_FILE.read_text())
    tests = {t.code: t for t in LabTest.objects.all()}
    written = 0
    for row in data["mappings"]:
        test_code = row.get("lab_test")
        if test_code and test_code not in tests:
            continue
        defaults = {"display": row.get("display", "")[:200], "lab_test": tests.get(test_code)}
        existing = LoincMapping.objects.filter(coding_system=LOINC, code=row["code"]).first()
        if existing is None:
            LoincMapping.objects.create(coding_system=LOINC, code=row["code"], **defaults)
            written += 1
        elif update:
            for k, v in defaults.items():
                setattr(existing, k, v)
            existing.save()
            written += 1
    return written
