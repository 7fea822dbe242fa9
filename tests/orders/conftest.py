"""Helpers for the orders tests: an order, an authorization, a body measurement.

Every test in tests/orders runs with the treatment-order rules ON, as in production."""

from __future__ import annotations

import datetime as dt

import pytest

# The API clients by role, shared with tests/api.
from tests.api.conftest import book, client_as, desk, manager_api, nurse_api  # noqa: F401
from tests.conftest import at


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/orders/" in str(item.fspath):
            item.add_marker(pytest.mark.treatment_orders)


@pytest.fixture
def prices(db):
    """The illustrative price tables (orders/data/prices.yaml), also after a flush."""
    from orders.prices import load_prices

    load_prices()


@pytest.fixture
def give_order(db):
    """give_order(patient, protocol_code, **fields) -> a TreatmentOrder (signed a week ago,
    expiring in a year, 4 doses, unless told otherwise)."""
    from django.utils import timezone

    from orders import services
    from scheduling.models import Protocol

    def make(patient, code, **kw):
        today = timezone.localdate()
        protocol = Protocol.objects.get(code=code)
        fields = dict(
            provider="Dr Rivera",
            signed_on=today - dt.timedelta(days=7),
            expires_on=today + dt.timedelta(days=365),
            doses=4,
        )
        if protocol.dose_unit == "mg/m2":
            fields["dose_mg_per_m2"] = 12
        fields.update(kw)
        return services.create_order(patient=patient, protocol=protocol, **fields)

    return make


@pytest.fixture
def give_authorization(db):
    """give_authorization(patient, ["J2323"], **fields) -> an Authorization valid from a week
    ago for six months."""
    from django.utils import timezone

    from orders import services

    def make(patient, hcpcs, **kw):
        today = timezone.localdate()
        fields = dict(
            payer="Acme Health",
            plan="PPO",
            member_id="M123",
            number=f"PA-{patient.pk}-{len(hcpcs)}",
            valid_from=today - dt.timedelta(days=7),
            valid_to=today + dt.timedelta(days=180),
            hcpcs=hcpcs,
        )
        fields.update(kw)
        return services.create_authorization(patient=patient, **fields)

    return make


@pytest.fixture
def covered(give_order, give_authorization):
    """covered(patient, code) -> an order and (for biologics) an authorization for it."""
    from scheduling.models import Protocol

    def make(patient, code, *, visits=None, units=None, **order):
        protocol = Protocol.objects.get(code=code)
        o = give_order(patient, code, **order)
        a = None
        if protocol.needs_authorization:
            a = give_authorization(
                patient, [protocol.billing_code], visits_approved=visits, units_approved=units
            )
        return o, a

    return make


__all__ = ["at"]
