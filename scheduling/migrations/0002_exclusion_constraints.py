"""PostgreSQL's last line of defence: no two active sessions overlap on a chair or a patient.

Even if two transactions raced past the service's checks, the database refuses the second row.
SQLite has no exclusion constraints; there IMMEDIATE transactions serialize all writers.
"""

from django.db import migrations

ACTIVE = "('booked', 'confirmed', 'checked_in', 'in_chair')"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    f"""ALTER TABLE scheduling_infusionsession ADD CONSTRAINT session_no_chair_overlap
        EXCLUDE USING gist (chair_id WITH =, tstzrange(start, chair_release_at, '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
    f"""ALTER TABLE scheduling_infusionsession ADD CONSTRAINT session_no_patient_overlap
        EXCLUDE USING gist (patient_id WITH =, tstzrange(start, observation_end, '[)') WITH &&)
        WHERE (status IN {ACTIVE})""",
]
BACKWARD = [
    "ALTER TABLE scheduling_infusionsession DROP CONSTRAINT IF EXISTS session_no_chair_overlap",
    "ALTER TABLE scheduling_infusionsession DROP CONSTRAINT IF EXISTS session_no_patient_overlap",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in FORWARD:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in BACKWARD:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
