"""A nurse manager runs the center from admin; the front desk may look but not change the catalogue."""

import pytest
from django.contrib import admin
from django.urls import reverse

from orders.models import OrdersSettings
from scheduling.models import AuditEvent, CenterSettings, DoseRule, Protocol
from tests.factories import (
    ChairFactory,
    InfusionSessionFactory,
    LabResultFactory,
    NurseFactory,
    ReminderFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

OUR_APPS = ("scheduling", "patients", "orders")
MODELS = sorted(
    (m for m in admin.site._registry if m._meta.app_label in OUR_APPS),
    key=lambda m: m._meta.label,
)
# Written only by the services (booking rules, audit and reminders in one transaction).
SERVICE_OWNED = {
    "scheduling.InfusionSession",
    "scheduling.Series",
    "scheduling.Reminder",
    "scheduling.AuditEvent",
    # Audited writes through orders.services; admin shows them read-only.
    "orders.TreatmentOrder",
    "orders.Authorization",
    "orders.CoverageOverride",
    "orders.BodyMeasurement",
    "orders.Allergy",
}


def url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def manager_client(client):
    client.force_login(UserFactory(username="manager", role="manager"))
    return client


@pytest.fixture
def some_rows(center):
    OrdersSettings.load()  # the one row, as the first booking creates it
    session = InfusionSessionFactory()
    ReminderFactory(session=session)
    AuditEvent.objects.create(
        session=session, action="book", actor_label="test", after={"chair": 1}
    )
    LabResultFactory(patient=session.patient)
    ChairFactory()
    NurseFactory()
    return session


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_manager_sees_every_changelist(manager_client, some_rows, model):
    response = manager_client.get(url(model, "changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_manager_gets_every_add_page_except_service_owned(manager_client, some_rows, model):
    response = manager_client.get(url(model, "add"))
    if model._meta.label in SERVICE_OWNED or model in (CenterSettings, OrdersSettings):
        assert response.status_code == 403  # CenterSettings: the one row exists already
    else:
        assert response.status_code == 200


def test_center_settings_can_be_added_when_there_is_none(manager_client):
    CenterSettings.objects.all().delete()
    assert manager_client.get(url(CenterSettings, "add")).status_code == 200


def test_manager_opens_a_protocol_with_its_rules_and_labs(manager_client):
    protocol = Protocol.objects.get(code="alemtuzumab")
    response = manager_client.get(url(Protocol, "change", protocol.pk))
    assert response.status_code == 200
    assert b"Lemtrada" in response.content
    assert b"rems_alemtuzumab" in response.content
    assert b"Tuberculosis screening" in response.content


def test_manager_views_a_session_with_its_phase_times(manager_client, some_rows):
    response = manager_client.get(url(type(some_rows), "change", some_rows.pk))
    assert response.status_code == 200
    assert b"Chair release at" in response.content
    assert b"135" in response.content  # 30 + 60 + 30 + 15 chair minutes


def test_bad_shift_names_the_field(manager_client):
    nurse = NurseFactory(shifts=[])
    data = {
        "name": nurse.name,
        "email": nurse.email,
        "skills": "chemo, rems natalizumab",
        "max_concurrent_patients": 4,
        "active": "on",
        "shifts-TOTAL_FORMS": 1,
        "shifts-INITIAL_FORMS": 0,
        "shifts-0-weekday": 0,
        "shifts-0-start": "15:00",
        "shifts-0-end": "07:00",
        "time_off-TOTAL_FORMS": 0,
        "time_off-INITIAL_FORMS": 0,
    }
    response = manager_client.post(url(type(nurse), "change", nurse.pk), data)
    assert response.status_code == 200
    assert "The shift must end after it starts." in response.content.decode()

    data["shifts-0-end"] = "17:00"
    response = manager_client.post(url(type(nurse), "change", nurse.pk), data)
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.skills == ["chemo", "rems_natalizumab"]
    assert nurse.shifts.count() == 1


def test_bad_mobile_names_the_field(manager_client):
    from patients.models import Patient

    data = {
        "mrn": "A-100",
        "first_name": "Ana",
        "last_name": "Lee",
        "date_of_birth": "1980-01-02",
        "mobile": "12",
        "preferred_channel": "both",
        "email_consent": "on",
        "sms_consent": "on",
        "time_zone": "Mars/Olympus",
        "language": "en",
        "treatments-TOTAL_FORMS": 0,
        "treatments-INITIAL_FORMS": 0,
        "lab_results-TOTAL_FORMS": 0,
        "lab_results-INITIAL_FORMS": 0,
    }
    response = manager_client.post(url(Patient, "add"), data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "mobile" in errors and "time_zone" in errors

    data.update(mobile="(617) 555-0123", time_zone="America/New_York")
    assert manager_client.post(url(Patient, "add"), data).status_code == 302
    assert Patient.objects.get(mrn="A-100").mobile == "+16175550123"


def test_deactivate_chairs_action(manager_client):
    chairs = [ChairFactory(), ChairFactory()]
    response = manager_client.post(
        url(type(chairs[0]), "changelist"),
        {"action": "deactivate", "_selected_action": [c.pk for c in chairs]},
    )
    assert response.status_code == 302
    assert not any(type(c).objects.get(pk=c.pk).active for c in chairs)


def test_audit_trail_cannot_be_changed_or_deleted(manager_client, some_rows):
    event = AuditEvent.objects.get()
    response = manager_client.post(url(AuditEvent, "change", event.pk), {"action": "forged"})
    assert response.status_code == 403
    assert (
        manager_client.post(url(AuditEvent, "delete", event.pk), {"post": "yes"}).status_code == 403
    )
    event.refresh_from_db()
    assert event.action == "book"


def test_front_desk_can_view_but_not_change_protocols(client):
    client.force_login(UserFactory(username="desk", role="front_desk"))
    protocol = Protocol.objects.get(code="ocrelizumab_iv")
    rule = DoseRule.objects.get(protocol=protocol, from_dose=1)

    assert client.get(url(Protocol, "change", protocol.pk)).status_code == 200  # read-only view
    response = client.post(url(Protocol, "change", protocol.pk), {"brand_name": "Hacked"})
    assert response.status_code == 403
    assert client.get(url(Protocol, "add")).status_code == 403
    assert client.post(url(DoseRule, "change", rule.pk), {"infusion_minutes": 5}).status_code == 403
    protocol.refresh_from_db()
    assert protocol.brand_name == "Ocrevus"


def test_bad_dose_rule_and_lab_result_name_the_field(manager_client):
    from patients.models import LabResult
    from tests.factories import LabTestFactory, PatientFactory

    protocol = Protocol.objects.get(code="mitoxantrone")
    response = manager_client.post(
        url(DoseRule, "add"),
        {
            "protocol": protocol.pk,
            "from_dose": 5,
            "to_dose": 4,
            "option": "standard",
            "premed_lead_minutes": 0,
            "infusion_minutes": 0,
            "observation_minutes": 0,
            "interval_anchor": "previous",
            "window_early_days": 0,
            "window_late_days": 0,
            "confidence": "local",
        },
    )
    errors = response.context["adminform"].form.errors
    assert "to_dose" in errors and "infusion_minutes" in errors

    response = manager_client.post(
        url(LabResult, "add"),
        {
            "patient": PatientFactory().pk,
            "lab_test": LabTestFactory().pk,
            "collected_on": "2025-01-10",
            "status": "resulted",
            "flag": "",
        },
    )
    assert response.context["adminform"].form.errors["resulted_on"] == [
        "A resulted lab needs the date it was resulted."
    ]
