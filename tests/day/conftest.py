"""Fixtures for the infusion day: a booked session a week ahead and the staff who run it."""

import pytest

from scheduling import services
from tests.conftest import at


@pytest.fixture
def book_on(clinic, clinic_day, make_patient):
    """book_on(hour, protocol=...) -> a session booked through the service on clinic_day."""

    def make(hour=9, minute=0, protocol="ocrelizumab_iv", chair=0, patient=None):
        return services.book_session(
            patient=patient or make_patient(),
            protocol=clinic["protocols"][protocol],
            dose_number=1,
            start=at(clinic_day, hour, minute),
            chair=clinic["chairs"][chair],
        )

    return make


@pytest.fixture
def nurse(make_staff):
    return make_staff("nurse")


@pytest.fixture
def charge_nurse(make_staff):
    from django.contrib.auth.models import Group

    user = make_staff("nurse")
    user.groups.add(Group.objects.get(name="charge_nurse"))
    return user


@pytest.fixture
def api_for(db):
    """api_for(user) -> an APIClient sending that user's token."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def make(user):
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


@pytest.fixture
def nurse_api(api_for, nurse):
    return api_for(nurse)
