"""`make run PORT=…`: links in emails and texts point at the port the app really serves."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.ops.test_make_targets import ROOT, make_n

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")


def honcho_line(port: str | None = None) -> str:
    out = make_n("run", **({"PORT": port} if port else {})).replace("\\\n", " ")
    return next(line for line in out.splitlines() if "honcho" in line)


def _run_env(line: str, **env) -> str:
    """What PUBLIC_BASE_URL the recipe's shell hands honcho, with `env` in the environment."""
    assignment = next(w for w in shlex.split(line) if w.startswith("PUBLIC_BASE_URL="))
    # shlex removed the quotes: put the parameter expansion back in double quotes.
    value = assignment.split("=", 1)[1]
    script = f'PUBLIC_BASE_URL="{value}"; echo "$PUBLIC_BASE_URL"'
    clean = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    clean.update(env)
    return subprocess.run(
        ["bash", "-c", script], env=clean, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_public_base_url_follows_the_port():
    assert _run_env(honcho_line("8123")) == "http://127.0.0.1:8123"
    assert _run_env(honcho_line()) == "http://127.0.0.1:8000"


def test_an_explicit_public_base_url_wins():
    line = honcho_line("8123")
    assert _run_env(line, PUBLIC_BASE_URL="https://infusion.example.org") == (
        "https://infusion.example.org"
    )


def test_settings_and_patient_links_read_it():
    code = (
        "import django; django.setup();"
        "from patients import links; print(links.url_for(7, links.CONFIRM))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "infusion_center.settings",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8123",
    }
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().startswith("http://127.0.0.1:8123/p/")


def test_env_example_does_not_pin_the_port():
    text = (ROOT / ".env.example").read_text()
    assert "\nPUBLIC_BASE_URL=" not in text  # documented, commented out
    assert "# PUBLIC_BASE_URL=" in text
