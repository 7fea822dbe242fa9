"""Every write path locks patient → sessions → chairs → nurses, and never a row through a join
(select_related under select_for_update locks every joined row unless `of=` says otherwise)."""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduling import services
from tests.conftest import at

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

ORDER = ["patients_patient", "scheduling_infusionsession", "scheduling_chair", "scheduling_nurse"]


def _locks(queries) -> list[str]:
    """The table each FOR UPDATE query locks, in order; fails on a join locked by accident."""
    tables = []
    for q in queries:
        sql = q["sql"]
        if "FOR UPDATE" not in sql or "SKIP LOCKED" in sql:
            continue
        if " JOIN " in sql:
            assert re.search(r"FOR UPDATE OF \"?\w+\"?$", sql.strip()), sql
        tables.append(re.search(r'FROM "(\w+)"', sql).group(1))
    return tables


def _in_order(tables: list[str]) -> bool:
    ranks = [ORDER.index(t) for t in tables]
    return ranks == sorted(ranks)


def _capture(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return _locks(ctx.captured_queries)


def test_every_write_path_takes_the_locks_in_one_order(book_on, clinic_day, clinic, make_patient):
    session = book_on(9)
    other = book_on(11, chair=1)
    paths = {
        "book": lambda: services.book_session(
            patient=make_patient(),
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            dose_number=1,
            start=at(clinic_day, 13),
        ),
        "series": lambda: services.book_series(
            patient=make_patient(),
            protocol=clinic["protocols"]["ocrelizumab_iv"],
            start=at(clinic_day, 15),
        ),
        "reschedule": lambda: services.reschedule(session=session, start=at(clinic_day, 10)),
        "confirm": lambda: services.confirm(session=other),
        "cancel": lambda: services.cancel(session=other, reason="Flu"),
    }
    for name, fn in paths.items():
        tables = _capture(fn)
        assert tables and tables[0] == "patients_patient", (name, tables)
        assert _in_order(tables), (name, tables)
    with time_machine.travel(at(clinic_day, 9, 30), tick=False):
        for fn in (services.check_in, services.start_infusion, services.complete):
            tables = _capture(lambda fn=fn: fn(session=session))
            assert tables[:2] == ORDER[:2], tables
