"""factory_boy factories: one per model, grouped by app, in the order of the models files.

Keep one factory per model and put new ones in their app's section. Factories build valid rows
with plain defaults; tests state what matters to them explicitly. The drug catalogue itself is
loaded by migration 0004 (see scheduling/catalogue.py); use ``Protocol.objects.get(code=...)``
for real protocols and ProtocolFactory only for made-up ones.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from patients.models import LabResult, LabStatus, Patient, PatientProtocol
from scheduling.models import (
    CenterSettings,
    Chair,
    ChairKind,
    Channel,
    DoseRule,
    InfusionSession,
    LabTest,
    Nurse,
    NurseShift,
    NurseTimeOff,
    Protocol,
    Reminder,
    ReminderKind,
    SessionStatus,
)

# --- Users and roles -----------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    """A staff user. ``UserFactory(role="manager")`` adds the role group (from migration 0003)."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Staff{n}")
    is_staff = True
    password = factory.django.Password("pw-for-tests-only")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            # Like the demo logins: no TOTP code owed (tests/hardening/test_two_factor.py
            # covers managers who must give one).
            from infusion_center.two_factor import OTP_EXEMPT_GROUP

            self.groups.add(Group.objects.get_or_create(name=OTP_EXEMPT_GROUP)[0])


# --- Center --------------------------------------------------------------------------------


class CenterSettingsFactory(factory.django.DjangoModelFactory):
    """The one settings row; reuses an existing row (CenterSettings.load() may have made it)."""

    class Meta:
        model = CenterSettings
        django_get_or_create = ("name",)

    name = "Riverside MS Infusion Center"
    time_zone = "America/New_York"


# --- Chairs and nurses ---------------------------------------------------------------------


class ChairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Chair

    name = factory.Sequence(lambda n: f"Chair {n + 1}")
    area = "Bay A"
    kind = ChairKind.RECLINER
    features = factory.LazyFunction(list)
    active = True


class NurseShiftFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NurseShift

    nurse = factory.SubFactory("tests.factories.NurseFactory", shifts=[])
    weekday = 0
    start = dt.time(7, 0)
    end = dt.time(17, 0)


class NurseFactory(factory.django.DjangoModelFactory):
    """A nurse on 07:00-17:00 shifts Monday to Friday unless ``shifts=[...]`` says otherwise.

    ``shifts`` takes (weekday, start, end) tuples; ``shifts=[]`` gives a nurse with no shifts.
    """

    class Meta:
        model = Nurse
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Nurse {n + 1}")
    email = factory.LazyAttribute(lambda o: f"{o.name.lower().replace(' ', '.')}@example.org")
    skills = factory.LazyFunction(list)
    max_concurrent_patients = 4
    active = True

    @factory.post_generation
    def shifts(self, create, extracted, **kwargs):
        if not create:
            return
        weekdays = [(d, dt.time(7, 0), dt.time(17, 0)) for d in range(5)]
        for weekday, start, end in weekdays if extracted is None else extracted or []:
            NurseShift.objects.create(nurse=self, weekday=weekday, start=start, end=end)


class NurseTimeOffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NurseTimeOff

    nurse = factory.SubFactory(NurseFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=7))
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=2))
    reason = "Leave"


# --- Protocol catalogue --------------------------------------------------------------------


class ProtocolFactory(factory.django.DjangoModelFactory):
    """A made-up protocol (the real ones come from the catalogue file)."""

    class Meta:
        model = Protocol
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_drug_{n}")
    brand_name = factory.Sequence(lambda n: f"Testdrug {n}")
    generic_name = "testmab"
    route = "IV infusion"


class DoseRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DoseRule

    protocol = factory.SubFactory(ProtocolFactory)
    from_dose = 1
    to_dose = None
    premed_lead_minutes = 30
    premed_items = "Test premedication"
    infusion_minutes = 60
    observation_minutes = 30


class LabTestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabTest
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"test_lab_{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("_", " ").title())


# --- Patients ------------------------------------------------------------------------------


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = "Alex"
    last_name = factory.Sequence(lambda n: f"Patient{n}")
    date_of_birth = dt.date(1985, 4, 12)
    email = factory.LazyAttribute(lambda o: f"{o.mrn.lower()}@example.org")
    mobile = factory.Sequence(lambda n: f"+1617555{n % 10000:04d}")
    time_zone = "America/New_York"


class PatientProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientProtocol

    patient = factory.SubFactory(PatientFactory)
    protocol = factory.SubFactory(ProtocolFactory)
    active = True


class LabResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LabResult

    patient = factory.SubFactory(PatientFactory)
    lab_test = factory.SubFactory(LabTestFactory)
    collected_on = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=3))
    status = LabStatus.RESULTED
    resulted_on = factory.LazyAttribute(lambda o: o.collected_on + dt.timedelta(days=1))
    value = "within normal limits"
    flag = "normal"
    source = "test lab"


# --- Sessions and reminders ----------------------------------------------------------------


class InfusionSessionFactory(factory.django.DjangoModelFactory):
    """A booked session with consistent phase times written directly (no booking service).

    Phase lengths: 30 min premed, 60 min infusion, 30 min observation, 15 min turnover.
    """

    class Meta:
        model = InfusionSession

    patient = factory.SubFactory(PatientFactory)
    protocol = factory.SubFactory(ProtocolFactory)
    dose_number = 1
    chair = factory.SubFactory(ChairFactory)
    nurse = factory.SubFactory(NurseFactory)
    status = SessionStatus.BOOKED
    start = factory.LazyFunction(
        lambda: (timezone.now() + dt.timedelta(days=7)).replace(
            hour=14, minute=0, second=0, microsecond=0
        )
    )
    premed_start = factory.SelfAttribute("start")
    infusion_start = factory.LazyAttribute(lambda o: o.premed_start + dt.timedelta(minutes=30))
    infusion_end = factory.LazyAttribute(lambda o: o.infusion_start + dt.timedelta(minutes=60))
    observation_end = factory.LazyAttribute(lambda o: o.infusion_end + dt.timedelta(minutes=30))
    chair_release_at = factory.LazyAttribute(lambda o: o.observation_end + dt.timedelta(minutes=15))


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reminder

    session = factory.SubFactory(InfusionSessionFactory)
    kind = ReminderKind.PREP
    channel = Channel.EMAIL
    due_at = factory.LazyAttribute(lambda o: o.session.start - dt.timedelta(days=3))
