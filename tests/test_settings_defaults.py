"""A server started without DJANGO_SETTINGS_MODULE runs production settings, never the debug ones
(issue 12); `make run` chooses the local settings explicitly."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
    "DATABASE_URL": "postgres://itsm:secret@127.0.0.1:1/itsm",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "ALLOWED_HOSTS": "desk.example.com",
}
# Variables a developer's shell or CI may set that would hide what a bare deploy gets.
UNSET = ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS")


def _python(code: str, **env) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items() if key not in UNSET}
    command = [sys.executable, "-c", code]
    return subprocess.run(command, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("module", ["itsm.wsgi", "itsm.asgi", "itsm.celery"])
def test_a_server_without_django_settings_module_runs_production_settings(module):
    result = _python(
        f"import {module}; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)",
        **PRODUCTION_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["itsm.settings.production", "False"]


def test_a_server_without_settings_or_secret_key_refuses_to_start():
    result = _python("import itsm.wsgi")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_make_run_starts_every_process_with_the_local_settings():
    processes = dict(
        line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()
    )

    assert set(processes) == {"web", "worker", "beat"}
    for name, command in processes.items():
        assert command.strip().startswith("DJANGO_SETTINGS_MODULE=itsm.settings.local "), name
