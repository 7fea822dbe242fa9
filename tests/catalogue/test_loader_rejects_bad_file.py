"""A bad catalogue file is refused with messages naming the place, and changes nothing."""

from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from scheduling.catalogue import DEFAULT_PATH, CatalogueError, load_catalogue
from scheduling.models import DoseRule, LabRequirement, LabTest, Protocol


def snapshot():
    return (
        sorted(Protocol.objects.values_list("code", "brand_name")),
        sorted(
            DoseRule.objects.values_list(
                "protocol__code", "from_dose", "option", "infusion_minutes"
            )
        ),
        sorted(LabTest.objects.values_list("code", "name")),
        LabRequirement.objects.count(),
    )


@pytest.fixture
def shipped():
    return yaml.safe_load(DEFAULT_PATH.read_text())


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False) if not isinstance(data, str) else data)
    return path


def protocol(data, code):
    return next(p for p in data["protocols"] if p["code"] == code)


def test_zero_infusion_minutes_names_protocol_rule_and_field(catalogue, tmp_path, shipped):
    protocol(shipped, "alemtuzumab")["dose_rules"][1]["infusion_minutes"] = 0
    # An earlier protocol is new and valid: it must not be created either.
    new = dict(protocol(shipped, "mitoxantrone"), code="new_drug")
    shipped["protocols"].insert(0, new)
    before = snapshot()

    with pytest.raises(CatalogueError) as exc:
        load_catalogue(write(tmp_path, shipped), update=True)

    assert "alemtuzumab dose rule 2: infusion_minutes must be > 0" in exc.value.errors
    assert "nothing was changed" in str(exc.value)
    assert snapshot() == before
    assert not Protocol.objects.filter(code="new_drug").exists()


def test_every_problem_is_reported_at_once(catalogue, tmp_path, shipped):
    rule = protocol(shipped, "ocrelizumab_iv")["dose_rules"][2]
    rule["to_dose"] = 2  # before from_dose 3
    rule["interval_anchor"] = "last_tuesday"
    protocol(shipped, "natalizumab")["required_chair_kind"] = "sofa"
    protocol(shipped, "mitoxantrone")["lab_requirements"][0]["lab_test"] = "echo_please"
    protocol(shipped, "ublituximab")["dose_rules"][0]["infusion_minuts"] = 240

    with pytest.raises(CatalogueError) as exc:
        load_catalogue(write(tmp_path, shipped))

    errors = exc.value.errors
    assert "ocrelizumab_iv dose rule 3: to_dose (2) must not be before from_dose (3)" in errors
    assert any(
        e.startswith("ocrelizumab_iv dose rule 3: interval_anchor must be one of") for e in errors
    )
    assert any(e.startswith("natalizumab: required_chair_kind must be one of") for e in errors)
    assert "mitoxantrone lab requirement 1: lab_test 'echo_please' is not in lab_tests" in errors
    assert any(
        e.startswith("ublituximab dose rule 1: unknown field 'infusion_minuts'") for e in errors
    )


def test_gaps_overlaps_and_series_rules(catalogue, tmp_path, shipped):
    ocrevus = protocol(shipped, "ocrelizumab_iv")
    ocrevus["dose_rules"][0]["to_dose"] = 2  # overlaps the dose-2 rule
    tysabri = protocol(shipped, "natalizumab")
    tysabri["dose_rules"][1]["to_dose"] = 10  # doses 11-12 uncovered
    steroid = protocol(shipped, "methylprednisolone_relapse")
    steroid["dose_rules"][1]["interval_days"] = None  # joins_series without an interval

    with pytest.raises(CatalogueError) as exc:
        load_catalogue(write(tmp_path, shipped))

    errors = exc.value.errors
    assert "ocrelizumab_iv: standard dose rules starting at doses 1 and 2 overlap" in errors
    assert "natalizumab: no standard dose rule covers doses 11-12" in errors
    assert any(
        e.startswith("methylprednisolone_relapse dose rule 2: joins_series needs interval_days")
        for e in errors
    )


def test_unreadable_yaml(catalogue, tmp_path):
    before = snapshot()
    with pytest.raises(CatalogueError, match="not valid YAML"):
        load_catalogue(write(tmp_path, "protocols: [unclosed"))
    assert snapshot() == before


def test_clash_with_an_admin_edit_rolls_back_the_whole_load(catalogue, tmp_path, shipped):
    # The manager moved Tysabri's "13 and later" rule to start at 12 ...
    DoseRule.objects.filter(protocol__code="natalizumab", from_dose=13).update(from_dose=12)
    DoseRule.objects.filter(protocol__code="natalizumab", from_dose=2).update(to_dose=11)
    # ... and a new protocol appears in the file before Tysabri's missing rule is re-created.
    shipped["protocols"].insert(0, dict(protocol(shipped, "mitoxantrone"), code="new_drug"))
    before = snapshot()

    with pytest.raises(CatalogueError, match="natalizumab: stored standard dose rules"):
        load_catalogue(write(tmp_path, shipped))

    assert snapshot() == before


def test_command_turns_the_error_into_a_command_error(catalogue, tmp_path, shipped):
    protocol(shipped, "alemtuzumab")["dose_rules"][1]["infusion_minutes"] = 0
    with pytest.raises(CommandError, match="alemtuzumab dose rule 2: infusion_minutes must be > 0"):
        call_command("load_protocols", file=str(write(tmp_path, shipped)))
