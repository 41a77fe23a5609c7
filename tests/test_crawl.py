"""Every page a demo user can reach by clicking answers without a server error.

The demo desk is seeded once for the module (in a transaction rolled back at the end); each role signs in
with the demo password and follows every same-site link from the home page, within per-pattern caps
(tests/crawler.py), the administrator through the admin too. A failure names every failing address with the
page that linked to it. The crawl finds only what the data shows, so the demo must hold one of everything a
page renders: the first test keeps it so.
"""

import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from cmdb.models import Baseline, ImportJob
from servicedesk.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from servicedesk.models import (
    ApiToken,
    Attachment,
    InboundEmail,
    Mailbox,
    SavedView,
    SLAClock,
    WebhookSubscription,
)

from .crawler import Crawler

ROLES = [person[0] for person in PEOPLE]
MAX_PAGES = 400
# Admin pages are many and alike (a changelist, add, change and history page per model): three of each.
ADMIN_CAP = ("/admin/", 3)


@pytest.fixture(scope="module")
def demo_desk(django_db_setup, django_db_blocker):
    """The demo desk as `seed_demo` makes it, shared by the module's tests and rolled back after them."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", stdout=StringIO())
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def signed_in(demo_desk, db):
    def _sign_in(username):
        client = Client(raise_request_exception=False)
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, f"{username} could not sign in with the demo password"
        return client

    return _sign_in


def test_the_demo_holds_one_of_everything_the_pages_show(demo_desk, db):
    job = ImportJob.objects.get()
    assert (job.status, job.source, job.created, job.updated, job.unchanged, job.rejected) == (
        "finished",
        "csv",
        1,
        1,
        1,
        1,
    )
    assert Baseline.objects.filter(items__isnull=False).exists()
    assert WebhookSubscription.objects.exists()
    assert Mailbox.objects.exists()
    assert InboundEmail.objects.filter(result="commented").exists()
    assert Attachment.objects.exists()
    assert SavedView.objects.exists()
    assert ApiToken.objects.exists()
    assert set(SLAClock.objects.values_list("state", flat=True)) == set(SLAClock.State.values)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_demo_user_reaches_answers_without_a_server_error(signed_in, username):
    crawler = Crawler(signed_in(username), max_pages=MAX_PAGES, route_caps=[ADMIN_CAP], seed=username)

    started = time.monotonic()
    result = crawler.crawl("/")
    elapsed = time.monotonic() - started

    slowest = sorted(result.seconds_by_route.items(), key=lambda item: -item[1])[:5]
    print(f"{username}: {result.pages} pages in {elapsed:.1f} s, {dict(result.statuses)}; slowest: {slowest}")
    assert result.pages > 5
    assert not result.failures, f"{len(result.failures)} server errors:\n" + "\n".join(
        map(str, result.failures)
    )
