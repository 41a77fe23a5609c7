"""Scale-out, shown: two web processes, two Celery workers and one beat, all separate processes with the
production settings, against one PostgreSQL database and one Redis (README, "Production deployment").

Incidents are filed through both web servers at once; their SLA clocks (a 4-second resolution target) cross
their warning and their target while beat sweeps every second and the test queues extra sweeps, so both
workers sweep the same clocks at the same time; every delivery's task races the outbox sweep for it. Each
warning and breach must fire exactly once, and the webhook receiver must hear every event exactly once.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from django.conf import settings
from django.db import connection

from servicedesk import roles
from servicedesk.models import BusinessCalendar, OutboxMessage, SLAFiring, SLAPolicy, SLATarget
from servicedesk.services.tokens import api_token_create
from servicedesk.services.webhooks import webhook_subscription_create
from servicedesk.sla.calendars import calendar_set_hours

from .factories import SupportGroupFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)"),
    # The test settings run tasks eagerly in this process; the cluster's are sent to its own workers.
    pytest.mark.filterwarnings("ignore:task_always_eager has no effect on send_task"),
]

ROOT = Path(__file__).resolve().parent.parent
PER_SERVER = 6
EVENTS = ["incident.created", "incident.sla_warning", "incident.sla_breached"]


class _Hooks(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with self.server.lock:
            self.server.received.append((self.headers["X-ITSM-Event-Id"], json.loads(body)["event"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(condition, *, timeout: float, what: str, details=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"timed out waiting for {what} {details()}")


class Cluster:
    """The processes of one installation, each logging to its own file under `directory`."""

    def __init__(self, directory: Path):
        database = connection.settings_dict
        self.directory = directory
        self.queue = f"itsm-scale-out-{os.getpid()}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "itsm.settings.production",
            "SECRET_KEY": settings.SECRET_KEY,  # one installation, one key: stored secrets are sealed with it
            "DATABASE_URL": (
                f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}"
                f"/{database['NAME']}"
            ),
            "REDIS_URL": settings.REDIS_URL,
            "ITSM_CELERY_QUEUE": self.queue,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "ITSM_SLA_SWEEP_SECONDS": "1",
            "ITSM_OUTBOX_SWEEP_SECONDS": "1",
            "ITSM_OUTBOX_SWEEP_GRACE_SECONDS": "1",
            "ITSM_ATTACHMENT_ROOT": str(directory / "attachments"),
            "LOG_LEVEL": "WARNING",
            "EMAIL_URL": "consolemail://",
        }
        if database.get("PASSWORD"):
            self.env["PGPASSWORD"] = database["PASSWORD"]
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.web_urls: list[str] = []

    def _start(self, name: str, command: list[str]):
        log = open(self.directory / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append((name, process))

    def start(self):
        bin_dir = Path(sys.executable).parent
        celery = [str(bin_dir / "celery"), "-A", "itsm"]
        for index in (1, 2):
            port = _free_port()
            self._start(
                f"web{index}",
                [
                    str(bin_dir / "gunicorn"),
                    "itsm.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "1",
                    "--threads",
                    "4",
                    "--worker-class",
                    "gthread",
                ],
            )
            self.web_urls.append(f"http://127.0.0.1:{port}")
        for index in (1, 2):
            self._start(
                f"worker{index}",
                [
                    *celery,
                    "worker",
                    "--pool",
                    "threads",
                    "--concurrency",
                    "2",
                    "--without-gossip",
                    "--without-mingle",
                    "--hostname",
                    f"scale-out-{index}@%h",
                    "--loglevel",
                    "WARNING",
                ],
            )
        self._start(
            "beat",
            [*celery, "beat", "--loglevel", "WARNING", "--schedule", str(self.directory / "beat-schedule")],
        )
        for url in self.web_urls:
            _wait_for(lambda url=url: self._answers(url), timeout=60, what=f"the web server at {url}")

    def _answers(self, url: str) -> bool:
        self.check_alive()
        try:
            with urlopen(f"{url}/healthz", timeout=2):
                return True
        except OSError as error:
            return getattr(error, "code", None) is not None  # 503 (no worker yet) still answers

    def check_alive(self):
        for name, process in self.processes:
            if process.poll() is not None:
                log = (self.directory / f"{name}.log").read_text(errors="replace")[-3000:]
                pytest.fail(f"{name} exited with {process.returncode}:\n{log}")

    def stop(self):
        for _, process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for _, process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # Beat's periodic tasks may still be queued: leave nothing for the next run.
        from itsm.celery import app

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(self.queue)


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hooks)
    server.daemon_threads = True
    server.received = []
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def cluster(tmp_path):
    cluster = Cluster(tmp_path)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def _file(url: str, key: str, title: str) -> int:
    request = Request(
        f"{url}/api/v1/incidents/",
        data=json.dumps({"title": title}).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urlopen(request, timeout=30) as response:
        return response.status


def test_two_web_servers_two_workers_and_beat_fire_and_deliver_everything_exactly_once(
    organisation, receiver, cluster
):
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="UTC")
    calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(0, 1440)] for day in range(7)})
    policy = SLAPolicy.objects.create(name="Seconds", order=1, calendar=calendar, warning_percents=[50])
    for priority in range(1, 6):
        SLATarget.objects.create(
            policy=policy, metric="resolution", priority=priority, target=timedelta(seconds=4)
        )
    agent = UserFactory(username="integration", roles=[roles.AGENT], organisation=organisation)
    SupportGroupFactory(name="Service Desk", members=[agent])
    _, key = api_token_create(user=agent, actor=agent, name="scale-out")
    webhook_subscription_create(
        actor=None, name="Receiver", url=f"http://127.0.0.1:{receiver.server_address[1]}/", events=EVENTS
    )

    jobs = [
        (url, f"Outage {index} via {url[-5:]}") for url in cluster.web_urls for index in range(PER_SERVER)
    ]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        statuses = list(pool.map(lambda job: _file(job[0], key, job[1]), jobs))
    assert statuses == [201] * len(jobs)
    records = len(jobs)

    # Beat sweeps every second; more sweeps queued at once make both workers sweep the same due clocks.
    from itsm.celery import app

    def burst():
        for _ in range(4):
            app.send_task("servicedesk.sla_sweep", queue=cluster.queue)

    for _ in range(6):
        burst()
        time.sleep(1)
        cluster.check_alive()

    expected_firings = records * 2  # the 50 % warning and the breach of each resolution clock
    _wait_for(lambda: SLAFiring.objects.count() >= expected_firings, timeout=90, what="every firing")
    webhooks = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK)
    _wait_for(
        lambda: (
            webhooks.count() == records * 3
            and not webhooks.exclude(state=OutboxMessage.State.DELIVERED).exists()
            and len(receiver.received) >= records * 3
        ),
        timeout=90,
        what="every webhook delivered",
        details=lambda: (
            f"{len(receiver.received)} received; "
            f"{list(webhooks.values_list('event', 'state', 'attempts', 'last_error'))}"
        ),
    )
    burst()  # late sweeps find nothing left to fire
    time.sleep(3)
    cluster.check_alive()

    firings = list(SLAFiring.objects.values_list("clock_id", "threshold"))
    assert len(firings) == expected_firings
    assert len(set(firings)) == expected_firings
    assert not webhooks.filter(attempts__gt=1).exists()
    event_ids = [event_id for event_id, _ in receiver.received]
    assert len(event_ids) == len(set(event_ids)) == records * 3
    assert sorted({event for _, event in receiver.received}) == sorted(EVENTS)
    assert all([event for _, event in receiver.received].count(name) == records for name in EVENTS)
