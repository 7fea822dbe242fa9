"""Staff logins for managers: list, create, change role, link a nurse, deactivate."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scheduling.exceptions import SchedulingError
from scheduling.models import Nurse
from scheduling.roles import MANAGER, ROLES
from scheduling.services import staff as staff_service
from scheduling.views.common import role_required

ROLE_CHOICES = [(r, r.replace("_", " ").capitalize()) for r in ROLES]


class StaffForm(forms.Form):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES)
    nurse = forms.ModelChoiceField(
        queryset=Nurse.objects.filter(user__isnull=True), required=False, empty_label="No nurse"
    )
    password = forms.CharField(
        label="Temporary password", widget=forms.PasswordInput, max_length=128
    )


def _rows():
    users = User.objects.order_by("-is_active", "username").prefetch_related("groups")
    nurses = {n.user_id: n for n in Nurse.objects.filter(user__isnull=False)}
    return [{"user": u, "role": staff_service.role_of(u), "nurse": nurses.get(u.pk)} for u in users]


def _page(request, form, status=200):
    return render(
        request,
        "scheduling/staff.html",
        {
            "form": form,
            "rows": _rows(),
            "roles": ROLE_CHOICES,
            "free_nurses": Nurse.objects.filter(user__isnull=True, active=True),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@role_required(MANAGER)
def staff_list(request):
    """Logins with role and linked nurse; the form creates one."""
    form = StaffForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = staff_service.create_staff(by=request.user, **form.cleaned_data)
            except SchedulingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, f"Login {user.username} created.")
                return redirect("staff")
        return _page(request, form, status=400)
    return _page(request, form)


@require_POST
@role_required(MANAGER)
def staff_update(request, pk: int):
    """One change to one login: action=role|nurse|deactivate|reactivate."""
    user = get_object_or_404(User, pk=pk)
    action = request.POST.get("action", "")
    try:
        if action == "role":
            staff_service.change_role(by=request.user, user=user, role=request.POST.get("role"))
        elif action == "nurse":
            raw = request.POST.get("nurse") or ""
            nurse = get_object_or_404(Nurse, pk=int(raw)) if raw.isdigit() else None
            staff_service.link_nurse(by=request.user, user=user, nurse=nurse)
        elif action in ("deactivate", "reactivate"):
            staff_service.set_active(by=request.user, user=user, active=action == "reactivate")
        else:
            raise SchedulingError("Unknown change.")
    except SchedulingError as exc:
        messages.error(request, f"{user.username}: {exc}")
        return _page(request, StaffForm(), status=400)
    messages.success(request, f"{user.username} updated.")
    return redirect("staff")
