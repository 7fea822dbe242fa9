"""Template pieces other apps' pages include: allergies, the cost estimate, readiness."""

from __future__ import annotations

from django import template

from orders import estimate, selectors

register = template.Library()


@register.inclusion_tag("orders/allergy_badge.html")
def allergy_badge(patient_id, allergies_map=None):
    """The patient's active allergies as a warning badge (roster, board panel). Pass the map
    from selectors.allergies_by_patient for a list of rows: one query for the whole page."""
    if not isinstance(allergies_map, dict):  # a row rendered on its own (htmx swap)
        allergies_map = selectors.allergies_by_patient([patient_id])
    return {"allergies": allergies_map.get(patient_id, [])}


@register.inclusion_tag("orders/estimate_table.html")
def session_estimates(sessions):
    """Estimated cost of each session by site of care (booking confirmation)."""
    sessions = list(sessions)
    if not sessions:
        return {"rows": [], "sites": []}
    book = selectors.ledger(sessions[0].patient)
    tables = selectors.price_tables()
    rows = [(s, estimate.session_estimate(session=s, book=book, tables=tables)) for s in sessions]
    return {"rows": rows, "sites": tables[0]}


@register.inclusion_tag("orders/patient_panel.html", takes_context=True)
def patient_readiness(context, patient):
    """Orders (expiring / expired), authorizations and their use, body size and cumulative
    dose, allergies, and this year's doses priced by site of care: the patient page."""
    from django.utils import timezone

    from scheduling.roles import FRONT_DESK, MANAGER, roles_of
    from scheduling.world import center_tz

    year = timezone.now().astimezone(center_tz()).year
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "patient": patient,
        "coverage": selectors.patient_coverage(patient=patient),
        "year": estimate.patient_year(patient=patient, year=year),
        "can_edit": bool(roles_of(user) & {FRONT_DESK, MANAGER}) if user else False,
    }
