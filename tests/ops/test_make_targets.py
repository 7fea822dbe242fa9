"""`make run`, `make test` and `.ci/run` say what they should, without running anything."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def clean_env(**overrides) -> dict:
    # Under `make test`, MAKEFLAGS and the exported command-line variables (PYTEST_ARGS=...,
    # RUFF=..., PORT=...) of the outer make would leak into the make we inspect.
    leaked = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTEST_ARGS", "RUFF", "PORT", "PG_URL", "PYTHON")
    env = {k: v for k, v in os.environ.items() if k not in leaked}
    env.update(overrides)
    return env


def make_n(target: str, **env_overrides) -> str:
    env = clean_env(**env_overrides)
    out = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_make_run_steps_in_order():
    out = make_n("run")
    steps = ["migrate --noinput", "seed_demo", "collectstatic", "show_urls_and_logins", "honcho"]
    positions = [out.find(step) for step in steps]
    assert all(p >= 0 for p in positions), dict(zip(steps, positions, strict=True))
    assert positions == sorted(positions), "make run steps are out of order"
    assert "-f Procfile start" in out
    # seed_demo is guarded, so make run works before the command exists.
    assert "help seed_demo" in out


def test_make_run_port_is_configurable():
    assert "start -p 8123" in make_n("run", PORT="8123")


def test_procfile_runs_web_worker_beat_and_the_hl7_listener():
    procs = dict(
        line.split(":", 1)
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    assert set(procs) == {"web", "worker", "beat", "hl7"}
    assert "runserver" in procs["web"] or "gunicorn" in procs["web"]
    assert "${PORT:-8000}" in procs["web"]
    assert "celery -A infusion_center worker" in procs["worker"]
    assert "celery -A infusion_center beat" in procs["beat"]
    assert "manage.py hl7_listener" in procs["hl7"]


def test_make_test_steps():
    out = make_n("test")
    assert "ruff check" in out and "pytest" in out
    assert out.find("ruff check") < out.find("-m pytest")
    assert "postgres://postgres@127.0.0.1:5432/infusion_test" in out
    assert "SQLite" in out
    assert "--numprocesses" not in out and " -n " not in out.replace("make -n", "")


def test_make_test_passes_pytest_args():
    assert "-k smoke_marker" in make_n("test", PYTEST_ARGS="-k smoke_marker")


def test_make_detects_python():
    out = subprocess.run(
        ["make", "-s", "--eval", "print-python: ; @echo $(PYTHON)", "print-python"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    python = out.stdout.strip()
    assert python, "make found no Python 3.11"
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version_info[:2] >= (3, 11))"],
        capture_output=True,
        text=True,
    )
    assert version.stdout.strip() == "True"


def test_ci_run_script():
    script = ROOT / ".ci" / "run"
    assert script.exists()
    assert os.access(script, os.X_OK), ".ci/run must be executable"
    check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    text = script.read_text()
    assert "set -euo pipefail" in text
    for needle in ("pg_isready", "redis-cli", "chromium", "make test", "infusion_test"):
        assert needle in text, needle
