"""Staff logins managed by a manager: create, change role, link a nurse, deactivate.

A role is a group from scheduling/roles.py (a charge nurse is in both nurse and charge_nurse).
Logins are never deleted (their audit rows name them); deactivating sets is_active=False. Every
change writes one audit row (session=None, like the patient audit rows) with before/after.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from scheduling.exceptions import SchedulingError
from scheduling.models import AuditEvent, Nurse
from scheduling.roles import CHARGE_NURSE, MANAGER, NURSE, ROLES

_USERNAME_MAX = User._meta.get_field("username").max_length
_NAME_MAX = User._meta.get_field("first_name").max_length


def role_groups(role: str) -> list[str]:
    """The groups a role means (a charge nurse is also a nurse)."""
    if role not in ROLES:
        raise SchedulingError(f"Unknown role {role!r}.", field="role")
    return [NURSE, CHARGE_NURSE] if role == CHARGE_NURSE else [role]


def role_of(user: User) -> str:
    """The one role shown for a login (the highest of its groups)."""
    names = set(user.groups.values_list("name", flat=True))
    for role in (MANAGER, CHARGE_NURSE, NURSE):
        if role in names:
            return role
    return next(iter(sorted(names)), "")


def _state(user: User) -> dict:
    nurse = Nurse.objects.filter(user=user).first()
    return {
        "user_id": user.pk,
        "username": user.username,
        "role": role_of(user),
        "active": user.is_active,
        "nurse_id": nurse.pk if nurse else None,
    }


def _audit(action: str, user: User, before: dict | None, *, by) -> None:
    AuditEvent.objects.create(
        session=None,
        action=action,
        actor=by if getattr(by, "is_authenticated", False) else None,
        actor_label="" if by else "system",
        before=before,
        after=_state(user),
    )


def _lock(user: User) -> User:
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def _set_groups(user: User, role: str) -> None:
    groups = list(Group.objects.filter(name__in=role_groups(role)))
    user.groups.remove(*Group.objects.filter(name__in=ROLES))
    user.groups.add(*groups)
    # Managers reach admin; the other roles work in the app only.
    user.is_staff = role == MANAGER
    user.save(update_fields=["is_staff"])


def _link(user: User, nurse: Nurse | None) -> None:
    Nurse.objects.filter(user=user).exclude(pk=getattr(nurse, "pk", None)).update(user=None)
    if nurse is not None:
        nurse = Nurse.objects.select_for_update(of=("self",)).get(pk=nurse.pk)
        if nurse.user_id and nurse.user_id != user.pk:
            raise SchedulingError(
                f"{nurse.name} is already linked to another login.", field="nurse"
            )
        nurse.user = user
        nurse.save(update_fields=["user"])


@transaction.atomic
def create_staff(
    *,
    by,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    password: str,
    nurse: Nurse | None = None,
) -> User:
    """Create a login with `role`, a temporary `password` (Django's password validators) and
    optionally link it to a Nurse row. SchedulingError (400, field named) when a value cannot
    be used; audited as staff_created."""
    username = (username or "").strip()
    if not username or len(username) > _USERNAME_MAX:
        raise SchedulingError("Give a username (at most 150 characters).", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise SchedulingError(f"The username {username!r} is taken.", field="username")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if len(value or "") > _NAME_MAX:
            raise SchedulingError(f"At most {_NAME_MAX} characters.", field=field)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise SchedulingError(f"{email!r} is not an email address.", field="email") from exc
    role_groups(role)
    user = User(username=username, first_name=first_name or "", last_name=last_name or "")
    user.email = email
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise SchedulingError(" ".join(exc.messages), field="password") from exc
    user.set_password(password)
    user.save()
    _set_groups(user, role)
    _link(user, nurse)
    _audit("staff_created", user, None, by=by)
    return user


@transaction.atomic
def change_role(*, by, user: User, role: str) -> User:
    """Give `user` another role (groups replaced). A manager cannot demote themself (someone
    must stay able to manage logins). Audited as staff_role_changed."""
    role_groups(role)
    user = _lock(user)
    if user.pk == getattr(by, "pk", None) and role != MANAGER:
        raise SchedulingError("You cannot take the manager role from yourself.", field="role")
    before = _state(user)
    if before["role"] != role:
        _set_groups(user, role)
        _audit("staff_role_changed", user, before, by=by)
    return user


@transaction.atomic
def link_nurse(*, by, user: User, nurse: Nurse | None) -> User:
    """Link `user` to a Nurse row (None unlinks). Audited as staff_nurse_linked."""
    user = _lock(user)
    before = _state(user)
    if before["nurse_id"] != getattr(nurse, "pk", None):
        _link(user, nurse)
        _audit("staff_nurse_linked", user, before, by=by)
    return user


@transaction.atomic
def set_active(*, by, user: User, active: bool) -> User:
    """Deactivate (or reactivate) a login; never deleted. A manager cannot deactivate
    themself. Audited as staff_deactivated / staff_reactivated."""
    user = _lock(user)
    if not active and user.pk == getattr(by, "pk", None):
        raise SchedulingError("You cannot deactivate your own login.", field="active")
    before = _state(user)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        _audit("staff_reactivated" if active else "staff_deactivated", user, before, by=by)
    return user
