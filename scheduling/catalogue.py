"""Load the drug catalogue (protocols, dose rules, lab tests and requirements) from YAML.

The catalogue ships as the project's own data file, ``scheduling/data/ms_protocols.yaml``.
Loading happens in two steps so that a bad file can never leave half a catalogue behind:

1. the whole file is parsed and validated into plain dicts; every problem is collected and
   reported at once, each naming the protocol, the dose rule (its position in the file) and
   the field, e.g. ``alemtuzumab dose rule 2: infusion_minutes must be > 0``;
2. everything is upserted in ONE transaction, keyed by natural keys: ``Protocol.code``,
   ``DoseRule (protocol, from_dose, option)``, ``LabTest.code`` and
   ``LabRequirement (protocol, lab_test)``.

Admin edits win. Once a row exists, the nurse manager owns it: by default the loader only
creates rows that are missing and reports existing rows that differ from the file as "kept".
``update=True`` (``manage.py load_protocols --update``) overwrites them with the file's values.
The loader never deletes: a protocol can be deactivated in admin (``active`` is not in the
file, so even ``--update`` leaves it alone). A dose rule or requirement a manager deleted
comes back on the next load; edit it instead of deleting it.

Loading twice changes nothing the second time (0 created, 0 updated).

The migration ``scheduling/0005_load_catalogue`` calls :func:`load_catalogue` with
``get_model=apps.get_model`` so a fresh database gets the catalogue from historical models.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "ms_protocols.yaml"

# Kept in step with scheduling.models by hand: the migration must not import current models.
CONFIDENCES = ("label", "manufacturer", "secondary", "ex_us_label", "unverified", "local")
CHAIR_KINDS = ("", "recliner", "bed")
OPTIONS = ("standard", "shorter")
ANCHORS = ("previous", "series_start")
ADMIN_FAMILIES = ("infusion", "chemo")
GATES = ("first_dose", "each_dose", "periodic", "course_start")
SLUG = re.compile(r"^[a-z0-9_]+$")

# Mirrors of the database's CheckConstraints, so the file is rejected with a readable message
# before the database would reject it with a constraint name.
MAX_PREMED_MINUTES = 240
MAX_INFUSION_MINUTES = 720
MAX_OBSERVATION_MINUTES = 480


class CatalogueError(ValueError):
    """The catalogue file is unreadable or invalid; ``errors`` lists every problem found."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        head = "The protocol catalogue was not loaded; nothing was changed."
        super().__init__(head + "\n" + "\n".join(f"  - {e}" for e in self.errors))


ModelGetter = Callable[[str, str], Any]


@dataclass
class LoadReport:
    """What a load did, per model: rows created, overwritten, kept (differ, not overwritten)."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    kept_details: list[str] = field(default_factory=list)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def total_kept(self) -> int:
        return sum(self.kept.values())

    def _count(self, bucket: dict[str, int], model: str) -> None:
        bucket[model] = bucket.get(model, 0) + 1

    def summary(self) -> str:
        models = ("LabTest", "Protocol", "DoseRule", "LabRequirement")
        lines = []
        for m in models:
            lines.append(
                f"{m}: {self.created.get(m, 0)} created, {self.updated.get(m, 0)} updated, "
                f"{self.kept.get(m, 0)} kept as edited, {self.unchanged.get(m, 0)} unchanged"
            )
        if self.kept_details:
            lines.append(
                "Rows that differ from the file and were kept (use --update to overwrite):"
            )
            lines.extend(f"  {d}" for d in self.kept_details)
        return "\n".join(lines)


# --- Step 1: parse and validate ----------------------------------------------------------------


class _Checker:
    """Collects every problem in the file, each prefixed with where it is."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.errors.append(f"{where}: {message}")

    def unknown_keys(self, where: str, data: dict, allowed: set[str]) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.fail(where, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")

    def text(self, where, data, name, *, required=False, max_length=None, default=""):
        value = data.get(name, default)
        if value is None:
            value = ""
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(v.strip() for v in value)
        if not isinstance(value, str):
            self.fail(where, f"{name} must be text")
            return default
        value = value.strip()
        if required and not value:
            self.fail(where, f"{name} is required")
        if max_length is not None and len(value) > max_length:
            self.fail(where, f"{name} must be at most {max_length} characters")
        return value

    def boolean(self, where, data, name, *, default=False):
        value = data.get(name, default)
        if not isinstance(value, bool):
            self.fail(where, f"{name} must be true or false")
            return default
        return value

    def integer(
        self,
        where,
        data,
        name,
        *,
        required=False,
        minimum=None,
        maximum=None,
        default=None,
        strictly_positive=False,
    ):
        value = data.get(name, default)
        if value is None:
            if required:
                self.fail(where, f"{name} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(where, f"{name} must be a whole number")
            return None
        if strictly_positive and value <= 0:
            self.fail(where, f"{name} must be > 0")
            return None
        if minimum is not None and value < minimum:
            self.fail(where, f"{name} must be >= {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.fail(where, f"{name} must be <= {maximum}")
            return None
        return value

    def decimal(self, where, data, name):
        value = data.get(name)
        if value is None:
            return None
        if isinstance(value, bool):
            self.fail(where, f"{name} must be a number")
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(where, f"{name} must be a number")
            return None
        if not number.is_finite() or number <= 0:
            self.fail(where, f"{name} must be > 0")
            return None
        if number.as_tuple().exponent < -2 or abs(number) >= Decimal("1000000"):
            self.fail(where, f"{name} must have at most 6 digits before and 2 after the point")
            return None
        return number.quantize(Decimal("0.01"))

    def choice(self, where, data, name, choices, *, default):
        value = data.get(name, default)
        if value is None:
            value = default
        if value not in choices:
            shown = ", ".join(repr(c) for c in choices)
            self.fail(where, f"{name} must be one of {shown}, not {value!r}")
            return default
        return value


LAB_TEST_KEYS = {"code", "name", "patient_name"}
PROTOCOL_KEYS = {
    "code",
    "brand_name",
    "generic_name",
    "route",
    "is_infusion",
    "rems_program",
    "rems_checks",
    "patient_rems_step",
    "required_skill",
    "required_chair_kind",
    "dose_unit",
    "lifetime_cap",
    "billing_code",
    "billing_descriptor",
    "billing_unit_amount",
    "admin_cpt_codes",
    "admin_code_family",
    "needs_authorization",
    "premed_causes_drowsiness",
    "prep_advice",
    "series_label",
    "courses_as_needed",
    "confidence",
    "notes",
    "dose_rules",
    "lab_requirements",
}
DOSE_RULE_KEYS = {
    "from_dose",
    "to_dose",
    "option",
    "label",
    "dose_amount",
    "premed_lead_minutes",
    "premed_items",
    "infusion_minutes",
    "observation_minutes",
    "interval_days",
    "interval_anchor",
    "min_interval_days",
    "window_early_days",
    "window_late_days",
    "joins_series",
    "optional",
    "confidence",
    "notes",
}
LAB_REQUIREMENT_KEYS = {"lab_test", "gate", "max_age_days", "confidence", "notes"}


def _validate_lab_tests(raw, check: _Checker) -> list[dict]:
    if not isinstance(raw, list):
        check.fail("lab_tests", "must be a list")
        return []
    tests, seen = [], set()
    for i, item in enumerate(raw, start=1):
        where = f"lab test {i}"
        if not isinstance(item, dict):
            check.fail(where, "must be a mapping with code and name")
            continue
        code = item.get("code")
        if isinstance(code, str) and code:
            where = f"lab test {code}"
        check.unknown_keys(where, item, LAB_TEST_KEYS)
        code = check.text(where, item, "code", required=True, max_length=60)
        if code and not SLUG.match(code):
            check.fail(where, "code must be lower-case letters, digits and underscores")
        if code in seen:
            check.fail(where, "code appears twice in lab_tests")
        seen.add(code)
        tests.append(
            {
                "code": code,
                "name": check.text(where, item, "name", required=True, max_length=160),
                # Patients read this one on their link pages: plain words, no drug names.
                "patient_name": check.text(where, item, "patient_name", max_length=120),
            }
        )
    return tests


def _validate_confidence_map(where, data, check: _Checker) -> dict:
    value = data.get("confidence", {}) or {}
    if not isinstance(value, dict):
        check.fail(where, "confidence must be a mapping of fact -> confidence")
        return {}
    for fact, level in value.items():
        if level not in CONFIDENCES:
            check.fail(
                where,
                f"confidence[{fact!r}] must be one of {', '.join(CONFIDENCES)}, not {level!r}",
            )
    return {str(k): v for k, v in value.items()}


def _validate_dose_rule(code: str, index: int, raw, check: _Checker) -> dict | None:
    where = f"{code} dose rule {index}"
    if not isinstance(raw, dict):
        check.fail(where, "must be a mapping")
        return None
    check.unknown_keys(where, raw, DOSE_RULE_KEYS)
    before = len(check.errors)
    rule = {
        "from_dose": check.integer(where, raw, "from_dose", required=True, minimum=1),
        "to_dose": check.integer(where, raw, "to_dose", minimum=1),
        "option": check.choice(where, raw, "option", OPTIONS, default="standard"),
        "label": check.text(where, raw, "label", max_length=120),
        "dose_amount": check.decimal(where, raw, "dose_amount"),
        "premed_lead_minutes": check.integer(
            where, raw, "premed_lead_minutes", minimum=0, maximum=MAX_PREMED_MINUTES, default=0
        ),
        "premed_items": check.text(where, raw, "premed_items"),
        "infusion_minutes": check.integer(
            where,
            raw,
            "infusion_minutes",
            required=True,
            strictly_positive=True,
            maximum=MAX_INFUSION_MINUTES,
        ),
        "observation_minutes": check.integer(
            where, raw, "observation_minutes", minimum=0, maximum=MAX_OBSERVATION_MINUTES, default=0
        ),
        "interval_days": check.integer(where, raw, "interval_days", strictly_positive=True),
        "interval_anchor": check.choice(where, raw, "interval_anchor", ANCHORS, default="previous"),
        "min_interval_days": check.integer(where, raw, "min_interval_days", minimum=0),
        "window_early_days": check.integer(where, raw, "window_early_days", minimum=0, default=0),
        "window_late_days": check.integer(where, raw, "window_late_days", minimum=0, default=0),
        "joins_series": check.boolean(where, raw, "joins_series"),
        "optional": check.boolean(where, raw, "optional"),
        "confidence": check.choice(where, raw, "confidence", CONFIDENCES, default="label"),
        "notes": check.text(where, raw, "notes"),
    }
    # Rules between fields (several mirror database constraints); fields that were already
    # reported as invalid are None here and their cross-checks are skipped.
    if None not in (rule["to_dose"], rule["from_dose"]) and rule["to_dose"] < rule["from_dose"]:
        check.fail(
            where, f"to_dose ({rule['to_dose']}) must not be before from_dose ({rule['from_dose']})"
        )
    if (
        rule["min_interval_days"] is not None
        and rule["interval_days"] is not None
        and rule["min_interval_days"] > rule["interval_days"]
    ):
        check.fail(where, "min_interval_days must not be more than interval_days")
    if rule["joins_series"] and rule["interval_days"] is None:
        check.fail(where, "joins_series needs interval_days (days after the dose before it)")
    if rule["joins_series"] and rule["from_dose"] == 1:
        check.fail(where, "dose 1 cannot join a series: there is no dose before it")
    if (rule["from_dose"] or 0) > 1 and raw.get("interval_days") is None:
        check.fail(where, "interval_days is required for doses after the first")
    if (rule["premed_lead_minutes"] or 0) > 0 and not rule["premed_items"]:
        check.fail(where, "premed_lead_minutes is set but premed_items does not say what is given")
    return None if len(check.errors) > before else rule


def _check_dose_coverage(code: str, rules: list[dict], check: _Checker) -> None:
    """Standard rules cover dose 1 onward without gaps or overlaps; no option overlaps itself."""
    for option in OPTIONS:
        spans = sorted((r["from_dose"], r["to_dose"]) for r in rules if r["option"] == option)
        if not spans:
            continue
        if option == "standard" and spans[0][0] != 1:
            check.fail(code, "the standard dose rules must start at dose 1")
        for (a_from, a_to), (b_from, _b_to) in zip(spans, spans[1:], strict=False):
            if a_to is None or b_from <= a_to:
                check.fail(
                    code, f"{option} dose rules starting at doses {a_from} and {b_from} overlap"
                )
            elif option == "standard" and b_from != a_to + 1:
                check.fail(code, f"no standard dose rule covers doses {a_to + 1}-{b_from - 1}")


def _validate_protocol(index: int, raw, lab_codes: set[str], check: _Checker) -> dict | None:
    if not isinstance(raw, dict):
        check.fail(f"protocol {index}", "must be a mapping")
        return None
    code = raw.get("code")
    where = code if isinstance(code, str) and code else f"protocol {index}"
    check.unknown_keys(where, raw, PROTOCOL_KEYS)
    code = check.text(where, raw, "code", required=True, max_length=60)
    if code and not SLUG.match(code):
        check.fail(where, "code must be lower-case letters, digits and underscores")
    cpt = raw.get("admin_cpt_codes", []) or []
    if not isinstance(cpt, list) or not all(
        isinstance(c, str | int) and not isinstance(c, bool) for c in cpt
    ):
        check.fail(where, "admin_cpt_codes must be a list of codes")
        cpt = []
    protocol = {
        "code": code,
        "brand_name": check.text(where, raw, "brand_name", required=True, max_length=120),
        "generic_name": check.text(where, raw, "generic_name", required=True, max_length=160),
        "route": check.text(where, raw, "route", max_length=160),
        "is_infusion": check.boolean(where, raw, "is_infusion", default=True),
        "rems_program": check.text(where, raw, "rems_program", max_length=160),
        "rems_checks": check.text(where, raw, "rems_checks", max_length=4000),
        "patient_rems_step": check.text(where, raw, "patient_rems_step", max_length=300),
        "required_skill": check.text(where, raw, "required_skill", max_length=60),
        "required_chair_kind": check.choice(
            where, raw, "required_chair_kind", CHAIR_KINDS, default=""
        ),
        "dose_unit": check.text(
            where, raw, "dose_unit", required=True, max_length=16, default="mg"
        ),
        "lifetime_cap": check.decimal(where, raw, "lifetime_cap"),
        "billing_code": check.text(where, raw, "billing_code", max_length=16),
        "billing_descriptor": check.text(where, raw, "billing_descriptor", max_length=200),
        "billing_unit_amount": check.decimal(where, raw, "billing_unit_amount"),
        "admin_cpt_codes": [str(c) for c in cpt],
        "admin_code_family": check.choice(
            where, raw, "admin_code_family", ADMIN_FAMILIES, default="infusion"
        ),
        "needs_authorization": check.boolean(where, raw, "needs_authorization"),
        "premed_causes_drowsiness": check.boolean(where, raw, "premed_causes_drowsiness"),
        "prep_advice": check.text(where, raw, "prep_advice", max_length=4000),
        "series_label": check.text(where, raw, "series_label", max_length=120),
        "courses_as_needed": check.boolean(where, raw, "courses_as_needed"),
        "confidence": _validate_confidence_map(where, raw, check),
        "notes": check.text(where, raw, "notes"),
    }
    if protocol["required_skill"] and not SLUG.match(protocol["required_skill"]):
        check.fail(where, "required_skill must be one word, e.g. chemo or rems_natalizumab")

    raw_rules = raw.get("dose_rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        check.fail(where, "dose_rules must be a non-empty list")
        raw_rules = []
    rules = []
    for i, raw_rule in enumerate(raw_rules, start=1):
        rule = _validate_dose_rule(code or where, i, raw_rule, check)
        if rule is not None:
            rule["_index"] = i
            rules.append(rule)
    keys = [(r["from_dose"], r["option"]) for r in rules]
    for key in sorted(set(keys)):
        if keys.count(key) > 1:
            check.fail(where, f"two dose rules start at dose {key[0]} with option {key[1]!r}")
    if len(rules) == len(raw_rules):
        _check_dose_coverage(where, rules, check)
    protocol["dose_rules"] = rules

    raw_reqs = raw.get("lab_requirements", []) or []
    if not isinstance(raw_reqs, list):
        check.fail(where, "lab_requirements must be a list")
        raw_reqs = []
    requirements, seen = [], set()
    for i, raw_req in enumerate(raw_reqs, start=1):
        rwhere = f"{where} lab requirement {i}"
        if not isinstance(raw_req, dict):
            check.fail(rwhere, "must be a mapping")
            continue
        check.unknown_keys(rwhere, raw_req, LAB_REQUIREMENT_KEYS)
        test = check.text(rwhere, raw_req, "lab_test", required=True)
        if test and test not in lab_codes:
            check.fail(rwhere, f"lab_test {test!r} is not in lab_tests")
        if test in seen:
            check.fail(rwhere, f"lab_test {test!r} is required twice")
        seen.add(test)
        requirements.append(
            {
                "lab_test": test,
                "gate": check.choice(rwhere, raw_req, "gate", GATES, default=None),
                "max_age_days": check.integer(
                    rwhere, raw_req, "max_age_days", strictly_positive=True
                ),
                "confidence": check.choice(
                    rwhere, raw_req, "confidence", CONFIDENCES, default="label"
                ),
                "notes": check.text(rwhere, raw_req, "notes"),
            }
        )
    protocol["lab_requirements"] = requirements
    return protocol


def parse_catalogue(path: str | Path | None = None) -> dict:
    """Read and validate the file; return ``{"lab_tests": [...], "protocols": [...]}``.

    Raises :class:`CatalogueError` listing every problem; touches no database.
    """
    path = Path(path) if path else DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogueError([f"{path}: cannot be read ({exc.strerror or exc})"]) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogueError([f"{path}: not valid YAML ({exc})"]) from exc
    if not isinstance(data, dict):
        raise CatalogueError([f"{path}: must be a mapping with lab_tests and protocols"])

    check = _Checker()
    check.unknown_keys(str(path.name), data, {"schema_version", "lab_tests", "protocols"})
    if data.get("schema_version") != 1:
        check.fail(path.name, f"schema_version must be 1, not {data.get('schema_version')!r}")
    lab_tests = _validate_lab_tests(data.get("lab_tests", []) or [], check)
    lab_codes = {t["code"] for t in lab_tests}
    raw_protocols = data.get("protocols")
    if not isinstance(raw_protocols, list) or not raw_protocols:
        check.fail(path.name, "protocols must be a non-empty list")
        raw_protocols = []
    protocols, codes = [], set()
    for i, raw in enumerate(raw_protocols, start=1):
        protocol = _validate_protocol(i, raw, lab_codes, check)
        if protocol is None:
            continue
        if protocol["code"] in codes:
            check.fail(protocol["code"], "code appears twice in protocols")
        codes.add(protocol["code"])
        protocols.append(protocol)
    if check.errors:
        raise CatalogueError(check.errors)
    return {"lab_tests": lab_tests, "protocols": protocols}


# --- Step 2: upsert in one transaction -----------------------------------------------------------


def _default_get_model(app_label: str, model_name: str):
    from django.apps import apps

    return apps.get_model(app_label, model_name)


def _upsert(
    model,
    lookup: dict,
    values: dict,
    *,
    update: bool,
    report: LoadReport,
    label: str,
    using: str,
    lenient: bool,
):
    name = model.__name__
    field_names = {f.name for f in model._meta.get_fields()}
    missing = set(values) - field_names
    if missing:
        if not lenient:
            raise CatalogueError([f"{label}: {name} has no field(s) {', '.join(sorted(missing))}"])
        # A historical model (migration 0004) may predate a field the file now carries.
        values = {k: v for k, v in values.items() if k in field_names}
    obj = model._default_manager.using(using).filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save(using=using)
        report._count(report.created, name)
        return obj
    differing = [k for k, v in values.items() if getattr(obj, k) != v]
    if not differing:
        report._count(report.unchanged, name)
    elif update:
        for k in differing:
            setattr(obj, k, values[k])
        obj.save(using=using, update_fields=differing)
        report._count(report.updated, name)
    else:
        report._count(report.kept, name)
        report.kept_details.append(f"{label}: {', '.join(differing)}")
    return obj


def _check_db_rules(protocol_obj, code: str, DoseRule, using: str) -> list[str]:
    """After creating missing rules, the stored rules (file + admin edits) must not overlap."""
    errors = []
    rows = DoseRule._default_manager.using(using).filter(protocol=protocol_obj)
    for option in OPTIONS:
        spans = sorted((r.from_dose, r.to_dose) for r in rows if r.option == option)
        for (a_from, a_to), (b_from, _) in zip(spans, spans[1:], strict=False):
            if a_to is None or b_from <= a_to:
                errors.append(
                    f"{code}: stored {option} dose rules starting at doses {a_from} and {b_from} "
                    "overlap (a manager's edit and the file disagree; fix it in admin or load "
                    "with --update)"
                )
    return errors


def load_catalogue(
    path: str | Path | None = None,
    *,
    stdout=None,
    update: bool = False,
    get_model: ModelGetter | None = None,
    using: str = "default",
) -> LoadReport:
    """Validate the whole catalogue file, then create (and with ``update``, overwrite) its rows.

    Atomic: a bad file, or a load that would leave overlapping dose rules, changes nothing.
    Idempotent: a second run creates nothing. ``get_model`` lets a data migration pass
    ``apps.get_model`` so historical models are used. Raises :class:`CatalogueError`.
    """
    data = parse_catalogue(path)
    lenient = get_model is not None
    get_model = get_model or _default_get_model
    Protocol = get_model("scheduling", "Protocol")
    DoseRule = get_model("scheduling", "DoseRule")
    LabTest = get_model("scheduling", "LabTest")
    LabRequirement = get_model("scheduling", "LabRequirement")
    report = LoadReport()
    opts = {"update": update, "report": report, "using": using, "lenient": lenient}

    with transaction.atomic(using=using):
        tests = {}
        for t in data["lab_tests"]:
            tests[t["code"]] = _upsert(
                LabTest,
                {"code": t["code"]},
                {"name": t["name"], "patient_name": t["patient_name"]},
                label=f"lab test {t['code']}",
                **opts,
            )
        errors = []
        for p in data["protocols"]:
            values = {
                k: v for k, v in p.items() if k not in ("code", "dose_rules", "lab_requirements")
            }
            protocol = _upsert(Protocol, {"code": p["code"]}, values, label=p["code"], **opts)
            for rule in p["dose_rules"]:
                values = {
                    k: v for k, v in rule.items() if k not in ("from_dose", "option", "_index")
                }
                _upsert(
                    DoseRule,
                    {
                        "protocol": protocol,
                        "from_dose": rule["from_dose"],
                        "option": rule["option"],
                    },
                    values,
                    label=f"{p['code']} dose rule {rule['_index']}",
                    **opts,
                )
            for req in p["lab_requirements"]:
                values = {k: v for k, v in req.items() if k != "lab_test"}
                _upsert(
                    LabRequirement,
                    {"protocol": protocol, "lab_test": tests[req["lab_test"]]},
                    values,
                    label=f"{p['code']} lab requirement {req['lab_test']}",
                    **opts,
                )
            errors += _check_db_rules(protocol, p["code"], DoseRule, using)
        if errors:
            # Raising inside the atomic block rolls back everything this load wrote.
            raise CatalogueError(errors)

    if stdout is not None:
        stdout.write(report.summary() + "\n")
    return report
