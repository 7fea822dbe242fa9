"""Every free-text field has a maximum length at the model and at the API."""

import pytest
from django.apps import apps
from django.db import models

pytestmark = pytest.mark.django_db

# Catalogue codes looked up by slug: an unknown one is a 400, whatever its length.
REFERENCES = {"protocol"}
# Written by the system, never typed by a person (error text from a provider, raw messages).
SYSTEM_TEXT = {"scheduling.Reminder.last_error"}


def test_every_text_field_of_our_apps_has_a_max_length():
    missing = []
    for model in apps.get_models():
        if model._meta.app_label not in ("scheduling", "patients"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.TextField | models.CharField) and not field.choices:
                label = f"{model._meta.label}.{field.name}"
                if label not in SYSTEM_TEXT and not field.max_length:
                    missing.append(label)
    assert missing == []


def test_text_fields_enforce_it_in_model_validation(make_patient):
    from django.core.exceptions import ValidationError

    patient = make_patient()
    patient.notes = "x" * 2001
    with pytest.raises(ValidationError) as err:
        patient.full_clean()
    assert "notes" in err.value.message_dict


def test_every_string_in_a_request_body_is_bounded(desk):
    schema = desk.get("/api/schema/?format=json").json()
    components = schema["components"]["schemas"]
    unbounded = []
    for name, comp in components.items():
        if not name.endswith(("Request", "In", "Input")) and "Request" not in name:
            continue
        for prop, spec in (comp.get("properties") or {}).items():
            if spec.get("readOnly") or prop in REFERENCES:
                continue
            if spec.get("type") == "string" and not (
                "maxLength" in spec or "enum" in spec or "format" in spec or "pattern" in spec
            ):
                unbounded.append(f"{name}.{prop}")
    print("unbounded request strings:", unbounded)
    assert unbounded == []


def test_a_patient_note_over_the_limit_is_a_400(desk):
    body = {
        "mrn": "MRN-NOTE",
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "1980-01-01",
        "notes": "x" * 5000,
    }
    response = desk.post("/api/patients/", body, format="json")
    assert response.status_code == 400
    assert "notes" in response.json()
