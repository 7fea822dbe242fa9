"""Whatever a client posts to /fhir or puts in a search, the answer is never a 500."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
resource_types = st.sampled_from(["Patient", "Observation", "Bundle", "Appointment", "X", ""])


@st.composite
def bundles(draw):
    entries = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "resource": st.dictionaries(st.text(max_size=12), json_values, max_size=4).map(
                        lambda d: {**d, "resourceType": draw(resource_types)}
                    )
                },
                optional={"fullUrl": st.text(max_size=30), "request": json_values},
            ),
            max_size=3,
        )
    )
    return {
        "resourceType": "Bundle",
        "type": draw(st.sampled_from(["transaction", "batch", "x"])),
        "entry": entries,
    }


@pytest.fixture
def manager(fhir_as, loinc_map):
    return fhir_as("manager")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=st.one_of(bundles(), json_values))
def test_posted_bundles_never_answer_500(manager, body):
    response = manager.post("/fhir", json.dumps(body), content_type="application/fhir+json")
    assert response.status_code < 500, response.content[:500]
    assert json.loads(response.content)["resourceType"] in ("Bundle", "OperationOutcome")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(["Patient", "Appointment", "Slot", "Schedule"]),
    params=st.dictionaries(
        st.sampled_from(
            [
                "date",
                "start",
                "patient",
                "status",
                "identifier",
                "schedule",
                "service-type",
                "dose",
                "_count",
                "_page",
                "_id",
                "active",
            ]
        ),
        st.text(max_size=25),
        max_size=3,
    ),
)
def test_searches_never_answer_500(manager, path, params):
    response = manager.get(f"/fhir/{path}", params)
    assert response.status_code < 500, (params, response.content[:500])
