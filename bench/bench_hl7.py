"""Benchmark: the HL7 MLLP listener's throughput, end to end, as a real process.

    .venv/bin/python bench/bench_hl7.py                         # fresh SQLite file in a temp dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_hl7 .venv/bin/python bench/bench_hl7.py
    .venv/bin/python bench/bench_hl7.py --messages 4000 --clients 8 --workers 4

`manage.py hl7_listener` runs in its own process on a free port; `--clients` threads each hold
one MLLP connection (python-hl7's MLLPClient) and send their share of the messages one after
the other, waiting for each ACK, as interface engines do. The mix: 80 % ORU^R01 (two OBX, one
lab result each, one collection day per message) and 20 % ADT^A04 registrations. Prints
messages per second and ACK latency, then checks that every message was acknowledged AA and
applied exactly once (inbound rows, lab results, audit rows). No target in the design beyond
"reported; nothing lost or applied twice".
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def setup_django() -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="bench_hl7_"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "infusion_center.settings")
    os.environ.setdefault("VAR_DIR", str(tmp))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tmp / 'bench.sqlite3'}")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    if os.environ["DATABASE_URL"].startswith("postgres"):
        _recreate_pg_database(os.environ["DATABASE_URL"])
    call_command("migrate", verbosity=0)
    return tmp


def _recreate_pg_database(url: str) -> None:
    import environ
    import psycopg

    cfg = environ.Env.db_url_config(url)
    with psycopg.connect(
        dbname="postgres",
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{cfg["NAME"]}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{cfg["NAME"]}"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_messages(n: int, n_patients: int) -> tuple[list[str], int]:
    """n messages; returns them and the number of lab results they must leave."""
    from django.utils import timezone

    from scheduling.world import center_tz

    today = timezone.now().astimezone(center_tz()).date()
    out, results = [], 0
    for i in range(n):
        head = f"MSH|^~\\&|LAB|BENCH_HOSP|INFUSION|CENTER|20261201083000||{{}}|BENCH{i:06d}|P|2.5.1"
        if i % 5 == 0:
            out.append(
                "\r".join(
                    [
                        head.format("ADT^A04^ADT_A01"),
                        f"PID|1||NEW{i:06d}^^^BH^MR||Bench^New{i}||19800101|F|||||"
                        f"^PRN^CP^^1^617^555{i % 10000:04d}~^NET^Internet^new{i}@example.org",
                    ]
                )
                + "\r"
            )
            continue
        # One collection day per message for its patient: every ORU leaves its own results.
        day = today - dt.timedelta(days=i // n_patients)
        ts = f"{day:%Y%m%d}0730"
        out.append(
            "\r".join(
                [
                    head.format("ORU^R01^ORU_R01"),
                    f"PID|1||B{i % n_patients:05d}^^^BH^MR",
                    f"OBR|1||ACC{i}|5196-1^HBsAg^LN|||{ts}",
                    f"OBX|1|ST|5196-1^HBsAg^LN||Nonreactive|||N|||F|||{ts}",
                    f"OBX|2|NM|2160-0^Creatinine^LN||0.9|mg/dL|0.6-1.2|N|||F|||{ts}",
                ]
            )
            + "\r"
        )
        results += 2
    return out, results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--patients", type=int, default=400)
    args = parser.parse_args()
    tmp = setup_django()

    from hl7.client import MLLPClient

    from interop.models import InboundMessage
    from patients.models import LabResult, Patient
    from scheduling.models import AuditEvent

    Patient.objects.bulk_create(
        Patient(
            mrn=f"B{n:05d}",
            first_name="Bench",
            last_name=f"P{n}",
            date_of_birth=dt.date(1980, 1, 1),
        )
        for n in range(args.patients)
    )
    messages, expected_results = build_messages(args.messages, args.patients)

    port = free_port()
    log_path = tmp / "listener.log"
    log = open(log_path, "wb")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "hl7_listener",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while b"listener ready" not in log_path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"listener did not start: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)

        latencies: list[float] = []
        codes: dict[str, int] = {}
        lock = threading.Lock()
        barrier = threading.Barrier(args.clients + 1)

        def client(share: list[str]) -> None:
            mine, my_codes = [], {}
            with MLLPClient("127.0.0.1", port) as c:
                barrier.wait()
                for message in share:
                    t0 = time.perf_counter()
                    data = c.send(SB + message.encode() + EB + CR)
                    while not data.endswith(EB + CR):
                        data += c.socket.recv(4096)
                    mine.append(time.perf_counter() - t0)
                    code = data.split(b"\rMSA|", 1)[1][:2].decode()
                    my_codes[code] = my_codes.get(code, 0) + 1
            with lock:
                latencies.extend(mine)
                for k, v in my_codes.items():
                    codes[k] = codes.get(k, 0) + v

        shares = [messages[c :: args.clients] for c in range(args.clients)]
        threads = [threading.Thread(target=client, args=(s,)) for s in shares]
        for t in threads:
            t.start()
        barrier.wait()
        began = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
        log.close()

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    applied = InboundMessage.objects.filter(outcome="applied").count()
    results = LabResult.objects.count()
    audits = AuditEvent.objects.filter(action="lab_result_recorded").count()
    registered = Patient.objects.filter(mrn__startswith="NEW").count()
    from django.db import connection

    print(
        f"HL7 listener ({connection.vendor}, {args.workers} workers, {args.clients} clients): "
        f"{len(messages)} messages in {elapsed:.1f} s = {len(messages) / elapsed:.0f} messages/s; "
        f"ACK latency p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, max {latencies[-1] * 1000:.0f} ms, "
        f"mean {statistics.mean(latencies) * 1000:.1f} ms"
    )
    print(
        f"acks {codes}; applied {applied}/{len(messages)}; lab results {results}/{expected_results}; "
        f"audit rows {audits}; patients registered {registered}/{len(messages) // 5 + (len(messages) % 5 > 0)}"
    )
    ok = (
        codes == {"AA": len(messages)}
        and applied == len(messages)
        and results == expected_results == audits
    )
    print("every message acknowledged and applied once" if ok else "MISMATCH: see the counts above")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
