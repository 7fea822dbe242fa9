"""docker-compose.yml, Dockerfile and .env.example point at things that exist.

No Docker engine is needed: the files are parsed, and each command's target is imported.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat", "hl7")
SERVICES = {"web", "worker", "beat", "hl7", "db", "redis", "mailcatcher"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_env_names() -> set[str]:
    """Names settings.py reads: env.str("X"...), env.bool("X"...), environ.Env().str("X"...)."""
    source = (ROOT / "infusion_center" / "settings.py").read_text()
    names = set(
        re.findall(
            r"\.(?:str|bool|int|float|list|tuple|dict|json|url|db_url|db|cache_url|cache|email_url|path)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']",
            source,
        )
    )
    assert {"DATABASE_URL", "SECRET_KEY", "CELERY_BROKER_URL"} <= names, names
    return names


def env_example_names() -> set[str]:
    """Names .env.example lists, set (`X=...`) or documented as commented (`# X=...`)."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", text, flags=re.M))


def env_example_set_names() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.M))


def service_env(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def command_argv(service: dict) -> list[str]:
    cmd = service["command"]
    argv = cmd if isinstance(cmd, list) else shlex.split(cmd)
    if argv[:2] == ["sh", "-c"] or argv[:2] == ["bash", "-c"]:
        # The inner script: split it on && / ; and take every step.
        return shlex.split(argv[2].replace("&&", " ; "))
    return argv


def test_seven_services(compose):
    assert set(compose["services"]) == SERVICES


def test_healthchecks(compose):
    services = compose["services"]
    for name in ("db", "redis", "web"):
        check = services[name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert "ping" in " ".join(services["redis"]["healthcheck"]["test"])
    web_test = " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in web_test
    from django.urls import resolve

    assert resolve("/healthz").url_name == "healthz"


def test_app_services_wait_for_healthy_db_and_redis(compose):
    for name in APP_SERVICES:
        deps = compose["services"][name].get("depends_on")
        assert isinstance(deps, dict), f"{name}: depends_on needs conditions"
        for dep in ("db", "redis"):
            assert deps[dep]["condition"] == "service_healthy", (name, dep)
        for dep, spec in deps.items():
            assert dep in SERVICES
            assert spec["condition"] in (
                "service_healthy",
                "service_started",
                "service_completed_successfully",
            )


def test_images(compose):
    services = compose["services"]
    assert services["db"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert services["mailcatcher"]["image"].startswith("axllent/mailpit")
    ports = " ".join(str(p) for p in services["mailcatcher"]["ports"])
    assert "1025" in ports and "8025" in ports
    for name in APP_SERVICES:
        assert services[name].get("build") in (".", {"context": "."}), name


def test_web_migrates_then_runs_gunicorn(compose):
    argv = command_argv(compose["services"]["web"])
    text = " ".join(argv)
    assert "migrate" in text and "gunicorn" in text
    assert text.index("migrate") < text.index("gunicorn")
    target = next(a for a in argv if ":" in a and not a.startswith("0.0.0.0"))
    assert target == "infusion_center.wsgi:application"
    module, attr = target.split(":")
    assert callable(getattr(importlib.import_module(module), attr))


@pytest.mark.parametrize("name,sub", [("worker", "worker"), ("beat", "beat")])
def test_celery_commands(compose, name, sub):
    argv = command_argv(compose["services"][name])
    assert argv[0] == "celery"
    app_name = argv[argv.index("-A") + 1]
    assert app_name == "infusion_center"
    assert sub in argv
    module = importlib.import_module(f"{app_name}.celery")
    assert module.app.main == "infusion_center"


def test_beat_schedule_tasks_are_registered():
    from django.conf import settings

    from infusion_center.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule, "CELERY_BEAT_SCHEDULE is empty"
    if importlib.util.find_spec("scheduling.tasks") is None:
        pytest.skip("scheduling/tasks.py is not written yet: cannot check beat task names")
    app.loader.import_default_modules()
    for entry in schedule.values():
        assert entry["task"] in app.tasks, (
            f"beat schedules {entry['task']}, which no module registers"
        )


def test_compose_environment(compose):
    names = settings_env_names()
    required = {
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_BACKEND",
        "SMS_BACKEND",
        "PUBLIC_BASE_URL",
        "TIME_ZONE",
    }
    for name in APP_SERVICES:
        service = compose["services"][name]
        env = service_env(service)
        assert required <= set(env), (name, required - set(env))
        unknown = set(env) - names
        assert not unknown, f"{name} sets variables settings.py never reads: {unknown}"
        assert env["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
        assert env["EMAIL_HOST"] == "mailcatcher" and str(env["EMAIL_PORT"]) == "1025"
        assert env["DATABASE_URL"].startswith("postgres://") and "@db:" in env["DATABASE_URL"]
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:")
        env_files = service.get("env_file")
        env_files = env_files if isinstance(env_files, list) else [env_files]
        paths = [f if isinstance(f, str) else f["path"] for f in env_files]
        assert ".env" in paths, f"{name} does not read .env"


def test_env_example_lists_exactly_what_settings_reads():
    read = settings_env_names()
    listed = env_example_names()
    assert not listed - read, (
        f".env.example lists variables settings.py never reads: {listed - read}"
    )
    assert not read - listed, f".env.example misses variables settings.py reads: {read - listed}"
    # VAR_DIR is read before .env is loaded, so it must not be set there.
    assert "VAR_DIR" not in env_example_set_names()


def test_dockerfile_entry_points_exist():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, flags=re.M)
    users = re.findall(r"^USER\s+(\S+)", text, flags=re.M)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
    assert re.search(r"^RUN .*pip install \.", text, flags=re.M)
    assert "collectstatic" in text
    cmd = re.findall(r"^CMD\s+(\[.*\])\s*$", text, flags=re.M)
    assert cmd, "Dockerfile needs an exec-form CMD"
    argv = yaml.safe_load(cmd[-1])
    assert argv[0] == "gunicorn"
    module, attr = argv[1].split(":")
    assert callable(getattr(importlib.import_module(module), attr))
    assert (ROOT / "manage.py").exists()
    for copied in re.findall(r"^COPY\s+(\S+)\s", text, flags=re.M):
        if copied != ".":
            assert (ROOT / copied).exists(), f"Dockerfile copies missing {copied}"


def test_dockerignore_keeps_secrets_and_state_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".git", ".venv", "var", ".env"} <= ignored


def test_hl7_listener_service(compose):
    """The MLLP listener: the same image, manage.py hl7_listener, bound to all interfaces on
    the published port, started after web has migrated."""
    from django.core.management import get_commands

    service = compose["services"]["hl7"]
    argv = command_argv(service)
    assert argv[:3] == ["python", "manage.py", "hl7_listener"]
    assert get_commands()["hl7_listener"] == "interop"
    env = service_env(service)
    assert env["HL7_MLLP_HOST"] == "0.0.0.0"
    port = str(env["HL7_MLLP_PORT"])
    assert any(str(p).split(":")[-1] == port for p in service["ports"]), service["ports"]
    assert service["depends_on"]["web"]["condition"] == "service_healthy"
