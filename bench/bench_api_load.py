"""The API under a mixed read load (DESIGN §9: >= 250 req/s with p95 <= 75 ms on 2 cores).

Builds the generated center (bench/_world.py) in PostgreSQL, starts gunicorn on 127.0.0.1,
and drives a mix of reads from wrk (Debian package; a Lua script rotates the requests) or,
when wrk is absent, from a bounded Python thread pool. Loopback only; bounded in time.

Mix per 10 requests: 3 sessions list by date, 2 roster (one nurse), 2 availability (one day),
2 protocols, 1 due worklist.

Run: .venv/bin/python bench/bench_api_load.py [--workers 2] [--seconds 20] [--connections 16]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _world  # noqa: E402

HOST, PORT = "127.0.0.1", 8765


def paths(world) -> list[str]:
    from patients.models import Patient
    from scheduling.models import Nurse

    nurse = Nurse.objects.order_by("pk").first().pk
    patient = Patient.objects.create(
        mrn="LOAD0001", first_name="Load", last_name="Tester", date_of_birth=dt.date(1980, 1, 1)
    ).pk
    out = []
    for k in range(10):
        day = world.day0 + dt.timedelta(days=k % world.days)
        out += [
            f"/api/sessions/?date={day}",
            f"/api/sessions/?date={day}&page=2",
            f"/api/sessions/?date={day}&chair=",
            f"/api/roster/?date={day}&nurse={nurse}",
            f"/api/roster/?date={day}&nurse={nurse}",
            f"/api/availability/?patient={patient}&protocol=natalizumab&date_from={day}&date_to={day}&limit=5",
            f"/api/availability/?patient={patient}&protocol=ocrelizumab_hyaluronidase_sc&date_from={day}"
            f"&date_to={day}&limit=5",
            "/api/protocols/",
            "/api/protocols/",
            "/api/due/",
        ]
    return [p.replace("&chair=", "") for p in out]


def start_gunicorn(workers: int, log) -> subprocess.Popen:
    # One token drives the whole load: lift the per-user throttle (6000/min by default) so the
    # figure measures the app, not the 429s.
    env = dict(os.environ, DEBUG="false", CONN_MAX_AGE="600", API_THROTTLE_USER="10000000/min")
    proc = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "infusion_center.wsgi",
            "-w",
            str(workers),
            "-b",
            f"{HOST}:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=_world.ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        text=True,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not come up")


def check_status(token: str, url_paths: list[str]) -> None:
    """Every request in the mix must answer 200 before we time anything."""
    conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
    for p in sorted(set(url_paths)):
        conn.request("GET", p, headers={"Authorization": f"Token {token}"})
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"{p} answered {r.status}")


LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Authorization"] = "Token %s"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f %%.3f\\n", summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, summary.duration, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def run_wrk(token, url_paths, seconds, connections) -> dict:
    script = LUA % (", ".join(f'"{p}"' for p in url_paths), token)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "5s",
            "-s",
            f.name,
            f"http://{HOST}:{PORT}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    ).stdout
    os.unlink(f.name)
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT"))
    n, errors, dur_us, p50, p95, p99, mx = line.split()[1:]
    return {
        "tool": "wrk",
        "requests": int(n),
        "errors": int(errors),
        "seconds": int(dur_us) / 1e6,
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "max": float(mx),
    }


def run_threads(token, url_paths, seconds, connections) -> dict:
    """Fallback load generator: keep-alive connections, stops at the deadline or 200k requests."""
    deadline = time.monotonic() + seconds
    lat, errors, lock = [], [0], threading.Lock()

    def worker(k):
        conn = http.client.HTTPConnection(HOST, PORT, timeout=10)
        i = k
        while time.monotonic() < deadline and len(lat) < 200_000:
            t = time.perf_counter()
            conn.request(
                "GET", url_paths[i % len(url_paths)], headers={"Authorization": f"Token {token}"}
            )
            r = conn.getresponse()
            r.read()
            with lock:
                lat.append((time.perf_counter() - t) * 1000)
                errors[0] += r.status != 200
            i += 1

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    took = time.monotonic() - start
    return {
        "tool": "python threads",
        "requests": len(lat),
        "errors": errors[0],
        "seconds": took,
        "p50": _world.pct(lat, 50),
        "p95": _world.pct(lat, 95),
        "p99": _world.pct(lat, 99),
        "max": max(lat),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument(
        "--per-endpoint",
        type=int,
        default=5,
        metavar="SECONDS",
        help="then load each kind of request alone this long (0: skip)",
    )
    args = ap.parse_args()
    world = _world.setup()
    url_paths = paths(world)
    from django.db import connections

    connections.close_all()
    log = tempfile.TemporaryFile("w+")
    proc = start_gunicorn(args.workers, log)
    try:
        check_status(world.token, url_paths)
        run = run_wrk if shutil.which("wrk") else run_threads
        run(world.token, url_paths, 3, args.connections)  # warm-up: imports, connections
        res = run(world.token, url_paths, args.seconds, args.connections)
        alone = {}
        if args.per_endpoint:
            for kind in ("sessions", "roster", "availability", "protocols", "due"):
                only = [p for p in url_paths if p.startswith(f"/api/{kind}/")]
                alone[kind] = run(world.token, only, args.per_endpoint, args.connections)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    log.seek(0)
    errors = [ln for ln in log.read().splitlines() if "Error" in ln or "Traceback" in ln]
    if errors:
        print("gunicorn log:", *errors[:10], sep="\n  ")
    rps = res["requests"] / res["seconds"]
    print(
        f"mixed read load ({res['tool']}, gunicorn -w {args.workers}, {args.connections} connections, "
        f"{res['seconds']:.0f} s): {res['requests']} requests, {res['errors']} errors, {rps:.0f} req/s, "
        f"p50={res['p50']:.1f} ms p95={res['p95']:.1f} ms p99={res['p99']:.1f} ms max={res['max']:.1f} ms"
    )
    for kind, r in alone.items():
        print(
            f"  {kind:>12} alone: {r['requests'] / r['seconds']:6.0f} req/s  p50={r['p50']:.1f} ms  "
            f"p95={r['p95']:.1f} ms  errors={r['errors']}"
        )
    print(
        f"target: >= 250 req/s and p95 <= 75 ms -> {'met' if rps >= 250 and res['p95'] <= 75 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
