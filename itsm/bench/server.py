"""The server under test: gunicorn with the production settings on a free local port, as `Procfile`'s
web process runs it, with HTTPS redirects off (no TLS proxy in front here) and a bench secret key."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

BENCH_SECRET_KEY = "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(*, database_url: str, redis_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="itsm.settings.production",
        DEBUG="false",
        SECRET_KEY=BENCH_SECRET_KEY,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
    )
    return env


@contextlib.contextmanager
def gunicorn(*, database_url: str, redis_url: str, workers: int, worker_class: str, threads: int, log: Path):
    """Run gunicorn for the `with` block; yields (host, port). Its output goes to `log`."""
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "itsm.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--worker-class", worker_class,
        "--threads", str(threads),
        "--timeout", "120",
        "--graceful-timeout", "5",
    ]  # fmt: skip
    log.parent.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url=database_url, redis_url=redis_url)
    with log.open("ab") as out:
        # The production settings serve static files from the manifest `collectstatic` writes.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT, check=True,
        )  # fmt: skip
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            command, cwd=settings.BASE_DIR, env=env,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_ready(port, process, log)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(port: int, process, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}: see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (a degraded /healthz is still an answer)
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s: see {log}")
