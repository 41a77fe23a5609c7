import imaplib
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.utils import translation
from rest_framework.test import APIClient

from servicedesk import roles
from servicedesk.api.throttling import cache_breaker
from servicedesk.configmemo import config_forget

from .conformance import _api_answers_conform, openapi_schema  # noqa: F401 - fixtures
from .factories import OrganisationFactory, SupportGroupFactory, UserFactory
from .sso_servers import ldap_server, oidc_provider, oidc_provider_server  # noqa: F401 - fixtures


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    broker = settings.CELERY_BROKER_URL.split("://", 1)[0]
    return [
        f"database: {connection.vendor} ({database['ENGINE'].rsplit('.', 1)[-1]})",
        f"broker: {broker} ({'REDIS_URL set' if settings.REDIS_URL else 'in-memory, REDIS_URL not set'})",
    ]


@pytest.fixture(scope="session", autouse=True)
def _attachment_root(tmp_path_factory):
    """No test writes files into the checkout's var/ (seed_demo attaches one too, and stores artifacts)."""
    with override_settings(
        ITSM_ATTACHMENT_ROOT=tmp_path_factory.mktemp("attachments"),
        ITSM_DSL_ROOT=tmp_path_factory.mktemp("dsl"),
    ):
        yield


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's language: a request as a person who reads Chinese leaves Chinese
    active in the thread (as Django's LocaleMiddleware does), which would leak into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    # Transactional tests flush and re-create content types with new ids; forget the old ones.
    ContentType.objects.clear_cache()
    config_forget()
    cache.clear()
    cache_breaker.reset()
    yield
    cache.clear()
    # A test that stopped the cache must not leave throttling off for the next one.
    cache_breaker.reset()


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Contoso Ltd")


@pytest.fixture
def requester(db, organisation):
    return UserFactory(username="requester", roles=[roles.REQUESTER], organisation=organisation)


@pytest.fixture
def other_requester(db):
    return UserFactory(username="other", roles=[roles.REQUESTER], organisation=OrganisationFactory())


@pytest.fixture
def agent(db, organisation):
    return UserFactory(username="agent", roles=[roles.AGENT], organisation=organisation)


@pytest.fixture
def group_manager(db, organisation):
    return UserFactory(
        username="manager", roles=[roles.AGENT, roles.GROUP_MANAGER], organisation=organisation
    )


@pytest.fixture
def change_manager(db, organisation):
    return UserFactory(
        username="changes", roles=[roles.AGENT, roles.CHANGE_MANAGER], organisation=organisation
    )


@pytest.fixture
def administrator(db, organisation):
    return UserFactory(
        username="administrator", roles=[roles.ADMINISTRATOR], organisation=organisation, is_staff=True
    )


@pytest.fixture
def support_group(db, agent, group_manager):
    return SupportGroupFactory(name="Service Desk", manager=group_manager, members=[agent, group_manager])


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def api_as(api_client):
    """`api_as(user)`: an API client authenticated as `user` (session-less, forced)."""

    def _login(user):
        api_client.force_authenticate(user)
        return api_client

    return _login


@pytest.fixture
def celery_worker(transactional_db):
    """A real Celery worker (in a thread) consuming from the configured broker: Redis in CI."""
    from celery.contrib.testing.worker import start_worker

    from itsm.celery import app

    app.conf.task_always_eager = False
    app.control.purge()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.task_always_eager = True


class ImapServer:
    """A private dovecot on 127.0.0.1 serving one mailbox, `desk@example.test` / `secret`, over plain IMAP."""

    host = "127.0.0.1"
    username = "desk@example.test"
    password = "secret"

    def __init__(self, directory: Path, port: int):
        self.directory = directory
        self.port = port
        self.config = directory / "dovecot.conf"

    def connect(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.username, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        """Deliver `raw` into `folder`, unseen (what a mail server does)."""
        client = self.connect()
        try:
            status, _data = client.append(folder, None, None, raw)
            assert status == "OK", _data
        finally:
            client.logout()

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of each message in `folder`, in order ([] when the folder does not exist)."""
        client = self.connect()
        try:
            status, count = client.select(folder, readonly=True)
            if status != "OK" or not int(count[0]):
                return []
            _status, data = client.fetch("1:*", "(FLAGS)")
            return [{flag.decode() for flag in imaplib.ParseFlags(item)} for item in data if item]
        finally:
            client.logout()

    def clear(self) -> None:
        """Delete every message and every folder but INBOX."""
        client = self.connect()
        try:
            _status, folders = client.list()
            for line in folders or []:
                match = _LIST_LINE.match(line.decode()) if line else None
                name = match["name"].strip('"') if match else ""
                if name and name.upper() != "INBOX":
                    client.delete(f'"{name}"')
            _status, count = client.select("INBOX")
            if int(count[0]):
                client.store("1:*", "+FLAGS", "\\Deleted")
                client.expunge()
        finally:
            client.logout()


_LIST_LINE = re.compile(r'\((?P<flags>[^)]*)\) (?P<delimiter>"[^"]*"|NIL) (?P<name>.+)')


_DOVECOT_CONF = """\
base_dir = {dir}/run
state_dir = {dir}/run/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# Wrong-password tests would otherwise wait 2 s per attempt.
auth_failure_delay = 0
log_path = {dir}/dovecot.log
mail_location = maildir:{dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=mail gid=mail home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
first_valid_uid = 1
mail_privileged_group =
"""


def _unavailable(reason: str):
    """CI must run the IMAP tests; elsewhere they are skipped with the reason."""
    if os.environ.get("CI"):
        pytest.fail(f"imap_server: {reason}")
    pytest.skip(f"imap_server: {reason}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout=20.0) -> bool:
    """Poll `condition` every 0.1 s until it holds or `timeout` seconds pass; its last answer."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


class RedisServer:
    """A private redis-server process on a free port of 127.0.0.1, which a test stops and starts."""

    def __init__(self, binary: str, port: int):
        self.binary, self.port, self.process = binary, port, None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def accepting():
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            return True

        assert wait_for(accepting, timeout=10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server():
    """A private redis-server, not yet started (`start()`, `stop()`), stopped after the test.

    For the outage tests: stopping it disturbs no other test process. CI must run them; elsewhere they are
    skipped when redis-server is not installed.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    server = RedisServer(binary, _free_port())
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def imap_server():
    """A real IMAP server for the e-mail intake tests: Debian's dovecot on a free local port.

    Its own config, base_dir and port, so a system dovecot (started by the package) does not matter.
    """
    dovecot = shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot",) if os.access(path, os.X_OK)), None
    )
    if dovecot is None:
        _unavailable("dovecot is not installed (apt-get install dovecot-imapd)")
    if os.geteuid() != 0:
        _unavailable("dovecot must be started as root (it drops to the mail user)")
    directory = Path(tempfile.mkdtemp(prefix="itsm-dovecot-"))
    directory.chmod(0o755)  # the mail user reaches its maildir through it
    server = ImapServer(directory, _free_port())
    (directory / "run" / "state").mkdir(parents=True)
    (directory / "mail").mkdir()
    shutil.chown(directory / "mail", "mail", "mail")
    (directory / "passwd").write_text(f"{server.username}:{{PLAIN}}{server.password}\n")
    server.config.write_text(_DOVECOT_CONF.format(dir=directory, port=server.port))
    # The daemon keeps its standard streams: give it a file, not a pipe that would never close.
    output = directory / "start.log"
    with output.open("wb") as log:
        started = subprocess.run([dovecot, "-c", str(server.config)], stdout=log, stderr=log)
    if started.returncode != 0:
        reason = output.read_text(errors="replace").strip()
        shutil.rmtree(directory, ignore_errors=True)
        _unavailable(f"dovecot did not start: {reason}")
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                server.connect().logout()
                break
            except OSError:
                if time.monotonic() > deadline:
                    log = directory / "dovecot.log"
                    pytest.fail(f"dovecot did not answer: {log.read_text() if log.exists() else ''}")
                time.sleep(0.1)
        yield server
    finally:
        subprocess.run(
            [dovecot, "-c", str(server.config), "stop"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def imap(imap_server):
    """The private dovecot, its mailbox emptied before and after the test."""
    imap_server.clear()
    yield imap_server
    imap_server.clear()


@pytest.fixture
def desk_mailbox(db, imap):
    """The desk's mailbox on the private dovecot, polled over plain IMAP."""
    from servicedesk.models import Mailbox

    return Mailbox.objects.create(
        name="Desk",
        address=imap.username,
        host=imap.host,
        port=imap.port,
        security=Mailbox.Security.NONE,
        username=imap.username,
        password=imap.password,
    )
