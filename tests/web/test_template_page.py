"""The weekly template page: a manager builds a draft, edits a weekday, publishes it."""

import datetime as dt

import pytest
from django.urls import reverse

from scheduling import services
from scheduling.models import CenterSettings, TemplateStatus, WeeklyTemplate
from scheduling.planning.templates import to_engine
from tests.conftest import at
from tests.planning.conftest import today

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def _some_history(clinic, make_patient):
    day = today() - dt.timedelta(days=today().weekday() or 7)  # the last Monday before today
    for i in range(3):
        services.record_past_dose(
            patient=make_patient(),
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            dose_number=3,
            start=at(day, 8 + i),
            chair=clinic["chairs"][i],
        )


def test_manager_builds_edits_and_publishes(login, manager, clinic, make_patient):
    _some_history(clinic, make_patient)
    client = login(manager)
    assert client.get(reverse("template_page")).status_code == 200
    built = client.post(
        reverse("template_page"),
        {"b-weeks": "2", "b-horizon_days": "0", "b-headroom": "1.0", "b-name": "Winter"},
    )
    assert built.status_code == 302
    row = WeeklyTemplate.objects.get(name="Winter")
    page = client.get(built["Location"]).content.decode()
    assert "Winter" in page and 'id="publish-template"' in page and "Monday" in page
    assert 'name="c_420_gt4h"' in page  # a 07:00 cell of the 5 h class, editable

    saved = client.post(
        reverse("template_day", args=[row.pk, 0]), {"c_420_gt4h": "2", "c_480_le1h": "3"}
    )
    assert saved.status_code == 302
    assert to_engine(row).starts == {(0, 420, "gt4h"): 2, (0, 480, "le1h"): 3}

    client.post(reverse("template_action", args=[row.pk, "publish"]))
    row.refresh_from_db()
    assert row.status == TemplateStatus.PUBLISHED and row.published_by == manager
    page = client.get(reverse("template_page"), {"t": row.pk}).content.decode()
    assert 'name="c_420_gt4h"' not in page  # a published template is read-only
    refused = client.post(
        reverse("template_day", args=[row.pk, 0]), {"c_420_gt4h": "9"}, follow=True
    )
    assert "copy it to a new draft" in refused.content.decode()


def test_release_horizon_is_edited_on_the_page(login, manager, clinic):
    client = login(manager)
    client.post(
        reverse("template_release"),
        {"r-template_release_hours": "48", "r-template_protect_until": "11:00"},
    )
    center = CenterSettings.load()
    assert center.template_release_hours == 48 and center.template_protect_until == dt.time(11)


def test_only_managers(login, front_desk, clinic):
    assert login(front_desk).get(reverse("template_page")).status_code == 403


def test_a_template_published_by_the_system_shows(login, manager, clinic, make_patient):
    from scheduling.services import template as template_service

    _some_history(clinic, make_patient)
    row = template_service.build_template_draft(weeks=2, horizon_days=0, time_limit=3)
    template_service.publish_template(template=row)  # e.g. by the demo seed: no user
    page = login(manager).get(reverse("template_page"))
    assert page.status_code == 200 and "published" in page.content.decode()
