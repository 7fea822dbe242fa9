"""The settings module follows the environment. Each case is a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Variables that would leak from the test run (make test sets DATABASE_URL) into the child.
CLEARED = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "CELERY_VISIBILITY_TIMEOUT",
    "DEBUG",
    "ALLOWED_HOSTS",
)

PROBE = """
import json
import django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "options": db.get("OPTIONS", {}),
    "broker": settings.CELERY_BROKER_URL,
    "transport": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "secret": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "is_postgres": settings.IS_POSTGRES,
}))
"""


def dotenv_sets(name: str) -> bool:
    env_file = ROOT / ".env"
    if not env_file.exists():
        return False
    return any(line.strip().startswith(f"{name}=") for line in env_file.read_text().splitlines())


def probe(tmp_path, **overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(DJANGO_SETTINGS_MODULE="infusion_center.settings", VAR_DIR=str(tmp_path / "var"))
    env.update(overrides)
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_postgres_url_selects_postgresql(tmp_path):
    got = probe(tmp_path, DATABASE_URL="postgres://u:p@db.example:5432/infusion")
    assert got["engine"] == "django.db.backends.postgresql"
    assert got["name"] == "infusion"
    assert got["is_postgres"] is True


def test_default_is_sqlite_immediate_in_var_dir(tmp_path):
    if dotenv_sets("DATABASE_URL"):
        pytest.skip(".env sets DATABASE_URL, so there is no default to check")
    got = probe(tmp_path)
    assert got["engine"] == "django.db.backends.sqlite3"
    assert got["options"]["transaction_mode"] == "IMMEDIATE"
    assert got["name"] == str(tmp_path / "var" / "db.sqlite3")
    assert got["is_postgres"] is False


def test_default_broker_is_filesystem_under_var(tmp_path):
    if dotenv_sets("CELERY_BROKER_URL") or dotenv_sets("REDIS_URL"):
        pytest.skip(".env sets the broker")
    got = probe(tmp_path)
    assert got["broker"].startswith("filesystem://")
    assert got["transport"]["data_folder_in"].startswith(str(tmp_path / "var" / "broker"))
    assert (tmp_path / "var" / "broker" / "in").is_dir()


def test_redis_broker_sets_visibility_timeout(tmp_path):
    got = probe(tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:6379/3")
    assert got["broker"] == "redis://127.0.0.1:6379/3"
    assert got["transport"]["visibility_timeout"] == 300
    got = probe(tmp_path, CELERY_BROKER_URL="redis://r:6379/0", CELERY_VISIBILITY_TIMEOUT="900")
    assert got["transport"]["visibility_timeout"] == 900


def test_redis_url_is_the_broker_fallback(tmp_path):
    got = probe(tmp_path, REDIS_URL="redis://cache:6379/1")
    assert got["broker"] == "redis://cache:6379/1"
    assert "visibility_timeout" in got["transport"]


def test_secret_key_and_hosts_from_env(tmp_path):
    got = probe(tmp_path, SECRET_KEY="s3cret-from-env", ALLOWED_HOSTS="infusion.example,web")
    assert got["secret"] == "s3cret-from-env"
    assert got["allowed_hosts"] == ["infusion.example", "web"]
