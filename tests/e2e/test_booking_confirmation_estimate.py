"""In a real browser, with the order rule ON: a coordinator is stopped by the missing order,
records it and the authorization on the coverage page, books, and the confirmation shows the
estimate (HCPCS units, administration codes, cost by site of care)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.treatment_orders,
    pytest.mark.django_db(transaction=True),
]


def test_coordinator_books_with_order_and_sees_the_estimate(
    new_page, clinic, clinic_day, make_staff, make_patient
):
    from orders.prices import load_prices

    load_prices()
    make_staff("front_desk", username="desk")
    patient = make_patient(first_name="Olive", last_name="Ordered")
    page = new_page()
    sign_in(page, "desk")
    search = (
        f"/book/?patient={patient.pk}&protocol=natalizumab&searched=1"
        f"&date_from={clinic_day.isoformat()}&date_to={clinic_day.isoformat()}"
    )
    page.goto(search)
    page.locator(".slot").first.get_by_role("button", name=re.compile("Book")).click()
    expect(page.locator("#conflict")).to_contain_text("Not covered by a treatment order")
    expect(page.locator("#conflict")).to_contain_text("No treatment order for Tysabri")
    screenshot(page, "orders-01-no-order")

    page.get_by_role("link", name="Record the order").click()
    today = timezone.localdate()
    order = page.locator("#form-order")
    order.get_by_label("Protocol").select_option(label="Tysabri (natalizumab)")
    order.get_by_label("Dose (mg)").fill("300")
    order.get_by_label("Number of doses").fill("6")
    order.get_by_label("Ordering provider").fill("Dr Amara Okafor")
    order.get_by_label("Signed on").fill(today.isoformat())
    order.get_by_label("Expires on").fill((today + dt.timedelta(days=365)).isoformat())
    order.get_by_role("button", name="Save").click()
    expect(page.locator("#orders")).to_contain_text("Dr Amara Okafor")

    page.goto(f"/patients/{patient.pk}/coverage/")
    auth = page.locator("#form-authorization")
    auth.get_by_label("Payer").fill("Acme Health")
    auth.get_by_label("Member id").fill("AC-1")
    auth.get_by_label("Authorization number").fill("PA-9")
    auth.get_by_label("Valid from").fill(today.isoformat())
    auth.get_by_label("Valid to").fill((today + dt.timedelta(days=180)).isoformat())
    auth.get_by_label("Approved HCPCS codes").fill("J2323")
    auth.get_by_label("Visits approved").fill("6")
    auth.get_by_role("button", name="Save").click()
    expect(page.locator("#authorizations")).to_contain_text("PA-9")

    page.goto(search)
    page.locator(".slot").first.get_by_role("button", name=re.compile("Book")).click()
    expect(page.locator("#confirmation")).to_contain_text("Ordered")
    estimate = page.locator("#estimate")
    expect(estimate).to_contain_text("J2323 × 300")
    expect(estimate).to_contain_text("96365")
    expect(estimate).to_contain_text("Hospital outpatient department")
    expect(estimate).to_contain_text(re.compile(r"\$[0-9,]+"))
    expect(estimate).to_contain_text("Illustrative prices")
    screenshot(page, "orders-02-confirmation-estimate")
