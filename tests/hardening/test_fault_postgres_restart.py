"""PostgreSQL restarted under load: requests fail with a clean 503 (Retry-After), never a 500 or
a dropped connection, and the app recovers by itself (no restart of gunicorn).

The test runs its own PostgreSQL cluster (initdb in a temporary directory, a free port) and its
own gunicorn; the shared server on 5432 is never touched.
"""

from __future__ import annotations

import collections
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.postgres]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(argv: list[str], **kw) -> subprocess.CompletedProcess:
    """initdb and postgres refuse to run as root: run them as the postgres system user."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", "postgres", "--", *argv]
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class Cluster:
    def __init__(self):
        if not shutil.which("initdb") or not shutil.which("pg_ctl"):
            pytest.skip("initdb/pg_ctl not on PATH (PostgreSQL server binaries)")
        self.dir = Path(tempfile.mkdtemp(prefix="infusion-pgfault-", dir="/tmp"))
        os.chmod(self.dir, 0o777)
        self.data = self.dir / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        out = _as_postgres(
            ["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
            timeout=180,
        )
        assert out.returncode == 0, out.stderr

    def pg_ctl(self, *args: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        out = _as_postgres(
            [
                "pg_ctl",
                "-D",
                str(self.data),
                "-o",
                opts,
                "-l",
                str(self.dir / "pg.log"),
                "-w",
                *args,
            ],
            timeout=180,
        )
        assert out.returncode == 0, (args, out.stdout, out.stderr)

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def remove(self) -> None:
        _as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "stop"], timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    c = Cluster()
    c.pg_ctl("start")
    yield c
    c.remove()


SETUP = """
from django.contrib.auth.models import Group, User
from rest_framework.authtoken.models import Token
from scheduling.roles import ensure_roles
ensure_roles()
u = User.objects.create_user("fault", password="x-fault-2026")
u.groups.add(Group.objects.get(name="front_desk"))
print("TOKEN=" + Token.objects.create(user=u).key)
"""


def app_env(cluster, tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_ALLOW")}
    env.update(
        DATABASE_URL=cluster.url("infusion_fault"),
        DJANGO_SETTINGS_MODULE="infusion_center.settings",
        VAR_DIR=str(tmp_path / "var"),
        DEBUG="false",
        CONN_MAX_AGE="60",  # persistent connections: the hard case for recovery
        API_THROTTLE_USER="1000000/min",
        PYTHONUNBUFFERED="1",
    )
    return env


def get(port: int, path: str, token: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        conn.close()


def test_postgres_restart_under_load_gives_503s_then_recovers(cluster, tmp_path):
    createdb = subprocess.run(
        [
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "infusion_fault",
        ],
        capture_output=True,
        text=True,
    )
    assert createdb.returncode == 0, createdb.stderr
    env = app_env(cluster, tmp_path)
    manage = [sys.executable, "manage.py"]
    migrate = subprocess.run(
        [*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    setup = subprocess.run(
        [*manage, "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert setup.returncode == 0, setup.stderr[-3000:]
    token = next(line[6:] for line in setup.stdout.splitlines() if line.startswith("TOKEN="))

    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")
    gunicorn = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "infusion_center.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "60",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if get(port, "/api/chairs/", token)[0] == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError((tmp_path / "gunicorn.log").read_text()[-3000:])
        pid = gunicorn.pid

        # (sent at, answered at, status, headers): "before the stop" must mean answered before it,
        # since a request sent a moment before pg_ctl stop may be in flight when the database goes.
        results: list[tuple[float, float, int | str, dict]] = []
        stop = threading.Event()

        def client():
            while not stop.is_set():
                t = time.monotonic()
                try:
                    status, headers = get(port, "/api/chairs/", token)
                except OSError as exc:  # a dropped connection would be a failure
                    status, headers = f"error: {exc}", {}
                results.append((t, time.monotonic(), status, headers))
                time.sleep(0.02)

        threads = [threading.Thread(target=client) for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(2)
        restart_at = time.monotonic()
        # Stop (fast: clients are disconnected), stay down a while, start again.
        cluster.pg_ctl("-m", "fast", "stop")
        time.sleep(3)
        cluster.pg_ctl("start")
        # "Back" is when the server accepts connections again, not when pg_ctl returns: on a
        # loaded 2-core machine the two are seconds apart, and that gap is the database's,
        # not the app's.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", cluster.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        back_at = time.monotonic()
        time.sleep(5)
        stop.set()
        for t in threads:
            t.join(30)

        counts = collections.Counter(status for _, _, status, _ in results)
        print("postgres restart under load:", json.dumps({str(k): v for k, v in counts.items()}))
        assert set(counts) <= {200, 503}, counts
        assert counts[503] >= 1, "the database was down for 3 s: some request must have seen it"
        assert all(h.get("Retry-After") for _, _, status, h in results if status == 503), (
            "503s tell the client when to try again"
        )
        # Recovered without restarting the app: the same gunicorn answers 200 again, and every
        # request from two seconds after the database was back succeeded.
        assert gunicorn.poll() is None and gunicorn.pid == pid
        after = [status for t, _, status, _ in results if t > back_at + 2]
        assert after and set(after) == {200}, collections.Counter(after)
        before = [status for _, done, status, _ in results if done < restart_at]
        assert before and set(before) == {200}
    finally:
        os.killpg(gunicorn.pid, 15)
        gunicorn.wait(20)
        log.close()
