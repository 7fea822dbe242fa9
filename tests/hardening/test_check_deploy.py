"""`manage.py check --deploy` with production environment values: no warnings at all."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "n8Qv2-" + "kT7zP4wL9xR3mB6yJ1cF5hD0sA8gE2uV7iO4pN9qW3eZ6tY1rX5bC",
    "ALLOWED_HOSTS": "infusion.example.org",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "SESSION_COOKIE_SECURE": "true",
    "CSRF_COOKIE_SECURE": "true",
}


def run_check(tmp_path, **env_values):
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process (Playwright's sync API);
    # production never does, so it must not leak into the deploy check (async.E001).
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(DJANGO_SETTINGS_MODULE="infusion_center.settings", VAR_DIR=str(tmp_path))
    env.update(env_values)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_production_values_pass_check_deploy_without_warnings(tmp_path):
    out = run_check(tmp_path, **PRODUCTION)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues (0 silenced)." in out.stdout


def test_the_embedded_defaults_are_flagged(tmp_path):
    """The check is real: without the production values it finds the HTTPS settings off."""
    out = run_check(tmp_path, SECRET_KEY=PRODUCTION["SECRET_KEY"], ALLOWED_HOSTS="x.example")
    assert out.returncode != 0
    for code in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert code in out.stdout + out.stderr
