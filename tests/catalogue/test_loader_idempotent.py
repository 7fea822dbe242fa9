"""Loading the catalogue twice gives the same rows; the second load creates nothing."""

import io

from django.core.management import call_command

from scheduling.catalogue import load_catalogue
from scheduling.models import DoseRule, LabRequirement, LabTest, Protocol


def counts():
    return tuple(m.objects.count() for m in (Protocol, DoseRule, LabTest, LabRequirement))


def test_fresh_database_gets_the_whole_catalogue(catalogue):
    assert counts() == (8, 27, 15, 23)


def test_second_load_creates_and_updates_nothing(catalogue):
    before = counts()
    report = load_catalogue()
    assert counts() == before
    assert report.total_created == 0
    assert report.total_updated == 0
    assert report.total_kept == 0
    assert report.unchanged == {"LabTest": 15, "Protocol": 8, "DoseRule": 27, "LabRequirement": 23}


def test_update_mode_is_idempotent_too(catalogue):
    before = counts()
    assert load_catalogue(update=True).total_updated == 0
    assert counts() == before


def test_an_empty_catalogue_is_created_then_left_alone(db):
    Protocol.objects.all().delete()
    LabTest.objects.all().delete()
    first = load_catalogue()
    assert first.total_created == 8 + 27 + 15 + 23
    assert load_catalogue().total_created == 0


def test_manager_edits_are_kept_unless_update_is_asked_for(catalogue):
    rule = DoseRule.objects.get(protocol__code="ocrelizumab_iv", from_dose=3, option="standard")
    rule.min_interval_days = 140  # the manager confirmed the 20-week wording
    rule.save()

    report = load_catalogue()
    rule.refresh_from_db()
    assert rule.min_interval_days == 140
    assert report.kept == {"DoseRule": 1}
    assert "ocrelizumab_iv dose rule 3: min_interval_days" in report.kept_details

    report = load_catalogue(update=True)
    rule.refresh_from_db()
    assert rule.min_interval_days == 152
    assert report.updated == {"DoseRule": 1}


def test_a_deactivated_protocol_stays_deactivated(catalogue):
    Protocol.objects.filter(code="mitoxantrone").update(active=False)
    load_catalogue(update=True)
    assert Protocol.objects.get(code="mitoxantrone").active is False


def test_management_command_reports_nothing_created(catalogue):
    out = io.StringIO()
    call_command("load_protocols", stdout=out)
    assert "Catalogue loaded: 0 created" in out.getvalue()
    assert "Protocol: 0 created, 0 updated, 0 kept as edited, 8 unchanged" in out.getvalue()
