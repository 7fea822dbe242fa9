"""The overlap exclusion constraints become DEFERRABLE INITIALLY IMMEDIATE.

Every write path still has them checked row by row (immediate). Fit-me-in swaps chairs of
sessions that have not started (A takes B's chair while B takes A's) in one transaction; it
defers the chair constraint for that transaction and checks it before returning, so a swap
is possible and a real double booking is still refused.
"""

from django.db import migrations

ACTIVE = "('booked', 'confirmed', 'checked_in', 'in_chair')"


def _sql(deferrable: bool) -> list[str]:
    tail = " DEFERRABLE INITIALLY IMMEDIATE" if deferrable else ""
    return [
        "ALTER TABLE scheduling_infusionsession DROP CONSTRAINT IF EXISTS session_no_chair_overlap",
        f"""ALTER TABLE scheduling_infusionsession ADD CONSTRAINT session_no_chair_overlap
            EXCLUDE USING gist (chair_id WITH =, tstzrange(start, chair_release_at, '[)') WITH &&)
            WHERE (status IN {ACTIVE}){tail}""",
        "ALTER TABLE scheduling_infusionsession DROP CONSTRAINT IF EXISTS "
        "session_no_patient_overlap",
        f"""ALTER TABLE scheduling_infusionsession ADD CONSTRAINT session_no_patient_overlap
            EXCLUDE USING gist (patient_id WITH =, tstzrange(start, observation_end, '[)') WITH &&)
            WHERE (status IN {ACTIVE}){tail}""",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _sql(True):
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in _sql(False):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0007_planning")]
    operations = [migrations.RunPython(forward, backward)]
