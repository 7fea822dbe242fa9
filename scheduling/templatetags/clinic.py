"""Small pieces the staff pages repeat: lab-readiness dots, REMS badges, status labels.

Each carries a symbol and words as well as a colour, so colour is never the only signal.
"""

from django import template
from django.utils.html import format_html

register = template.Library()

LAB = {
    "green": ("✓", "Labs ready"),
    "amber": ("!", "Labs pending"),
    "red": ("✕", "Labs missing"),
}
REMS = {
    "checked": ("REMS ✓", "REMS check done"),
    "authorized": ("REMS", "REMS authorized; check at the chair"),
    "not_authorized": ("REMS ✕", "REMS authorization not on file"),
}


@register.simple_tag
def lab_dot(status, show_text=False):
    """A round dot with a symbol; the words go to screen readers (or on screen with show_text)."""
    symbol, words = LAB.get(status, ("?", "Labs unknown"))
    if show_text:
        return format_html(
            '<span class="lab lab-{}"><span class="dot" aria-hidden="true">{}</span> {}</span>',
            status,
            symbol,
            words,
        )
    return format_html(
        '<span class="lab lab-{}" title="{}"><span class="dot" aria-hidden="true">{}</span>'
        '<span class="sr-only">{}</span></span>',
        status,
        words,
        symbol,
        words,
    )


@register.simple_tag
def rems_badge(status, show_text=False):
    """Nothing when the drug has no REMS program."""
    if not status:
        return ""
    label, words = REMS.get(status, ("REMS", "REMS"))
    extra = format_html(' <span class="badge-words">{}</span>', words) if show_text else ""
    return format_html(
        '<span class="rems rems-{}" title="{}">{}<span class="sr-only"> ({})</span></span>{}',
        status,
        words,
        label,
        words,
        extra,
    )


@register.simple_tag
def status_label(session):
    return format_html(
        '<span class="status status-{}">{}</span>', session.status, session.get_status_display()
    )


@register.filter
def minutes(delta):
    """A timedelta as whole minutes."""
    try:
        return int(delta.total_seconds() // 60)
    except AttributeError:
        return ""


@register.simple_tag
def span_minutes(start, end):
    try:
        return int((end - start).total_seconds() // 60)
    except (TypeError, AttributeError):
        return ""


ROLE_LABELS = {
    "front_desk": "Front desk",
    "nurse": "Nurse",
    "charge_nurse": "Charge nurse",
    "manager": "Manager",
}


@register.filter
def roles_label(roles):
    # Only the clinic roles: other groups (e.g. two_factor_exempt) are settings, not who you are.
    return ", ".join(ROLE_LABELS[r] for r in sorted(roles or ()) if r in ROLE_LABELS)


GATES = {
    "first_dose": "Before the first dose",
    "each_dose": "Before each dose",
    "periodic": "Periodic",
    "course_start": "Before each course",
}
ITEM_WORDS = {"green": "Ready", "amber": "Result pending", "red": "Missing or expired"}


@register.filter
def gate_label(gate):
    return GATES.get(gate, gate)


@register.simple_tag
def lab_item(status):
    """One checklist line's readiness: symbol, colour and words."""
    symbol = LAB.get(status, ("?", ""))[0]
    return format_html(
        '<span class="lab lab-{}"><span class="dot" aria-hidden="true">{}</span> {}</span>',
        status,
        symbol,
        ITEM_WORDS.get(status, status),
    )
