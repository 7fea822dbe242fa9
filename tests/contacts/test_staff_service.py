"""Staff logins through the service: validation, roles, nurse links, deactivation, audit rows."""

import pytest

from scheduling.exceptions import SchedulingError
from scheduling.models import AuditEvent
from scheduling.services import staff

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

GOOD = "Chair-rota-2026!"


def _create(by, **kw):
    args = dict(
        username="jdoe",
        first_name="Jane",
        last_name="Doe",
        email="jdoe@example.org",
        role="front_desk",
        password=GOOD,
    )
    args.update(kw)
    return staff.create_staff(by=by, **args)


def test_create_login_with_role_nurse_and_audit_row(make_staff, clinic):
    boss = make_staff("manager")
    nurse = clinic["nurses"][0]
    user = _create(boss, role="nurse", nurse=nurse)
    assert user.check_password(GOOD) and not user.is_staff
    assert staff.role_of(user) == "nurse"
    nurse.refresh_from_db()
    assert nurse.user == user
    row = AuditEvent.objects.get(action="staff_created")
    assert row.actor == boss and row.session is None
    assert row.after["username"] == "jdoe" and row.after["nurse_id"] == nurse.pk


@pytest.mark.parametrize(
    "kw, field",
    [
        ({"password": "123"}, "password"),
        ({"password": "password"}, "password"),
        ({"role": "surgeon"}, "role"),
        ({"email": "nope"}, "email"),
        ({"username": ""}, "username"),
    ],
)
def test_bad_values_refused_naming_the_field(make_staff, kw, field):
    with pytest.raises(SchedulingError) as exc:
        _create(make_staff("manager"), **kw)
    assert exc.value.field == field
    assert not AuditEvent.objects.filter(action="staff_created").exists()


def test_username_taken_is_refused(make_staff):
    boss = make_staff("manager")
    _create(boss)
    with pytest.raises(SchedulingError) as exc:
        _create(boss, username="JDOE")
    assert exc.value.field == "username"


def test_role_change_replaces_groups_and_is_audited(make_staff):
    boss = make_staff("manager")
    user = _create(boss)
    staff.change_role(by=boss, user=user, role="charge_nurse")
    assert set(user.groups.values_list("name", flat=True)) == {"nurse", "charge_nurse"}
    staff.change_role(by=boss, user=user, role="manager")
    user.refresh_from_db()
    assert set(user.groups.values_list("name", flat=True)) == {"manager"} and user.is_staff
    rows = AuditEvent.objects.filter(action="staff_role_changed").order_by("pk")
    assert [r.before["role"] for r in rows] == ["front_desk", "charge_nurse"]
    assert [r.after["role"] for r in rows] == ["charge_nurse", "manager"]


def test_manager_cannot_demote_or_deactivate_themself(make_staff):
    boss = make_staff("manager")
    with pytest.raises(SchedulingError):
        staff.change_role(by=boss, user=boss, role="nurse")
    with pytest.raises(SchedulingError) as exc:
        staff.set_active(by=boss, user=boss, active=False)
    assert exc.value.field == "active"
    boss.refresh_from_db()
    assert boss.is_active and not AuditEvent.objects.exists()


def test_deactivate_and_reactivate_never_delete(make_staff):
    boss = make_staff("manager")
    user = _create(boss)
    staff.set_active(by=boss, user=user, active=False)
    user.refresh_from_db()
    assert not user.is_active
    staff.set_active(by=boss, user=user, active=True)
    user.refresh_from_db()
    assert user.is_active
    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["staff_deactivated", "staff_reactivated"]


def test_link_unlink_nurse_and_refuse_a_nurse_linked_elsewhere(make_staff, clinic):
    boss = make_staff("manager")
    nurse = clinic["nurses"][0]
    a = _create(boss, username="a")
    b = _create(boss, username="b")
    staff.link_nurse(by=boss, user=a, nurse=nurse)
    with pytest.raises(SchedulingError) as exc:
        staff.link_nurse(by=boss, user=b, nurse=nurse)
    assert exc.value.field == "nurse"
    staff.link_nurse(by=boss, user=a, nurse=None)
    nurse.refresh_from_db()
    assert nurse.user is None
    assert AuditEvent.objects.filter(action="staff_nurse_linked").count() == 2
