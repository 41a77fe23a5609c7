"""Every page a demo user can reach by clicking answers without a server error.

The demo desk is seeded once for the module (in a transaction rolled back at the end); each role signs in
with the demo password and follows every same-site link from the home page, within per-pattern caps
(tests/crawler.py), the administrator through the admin too. A failure names every failing address with the
page that linked to it. The crawl finds only what the data shows, so the demo must hold one of everything a
page renders: the first test keeps it so.
"""

import re
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import Client

from changes.models import CalendarFeed, Change
from changes.permissions import ChangePolicy
from changes.views import may_read_changes
from cmdb.models import Baseline, ImportJob
from incidents.models import Incident
from knowledge.models import Article, ArticleTranslation
from knowledge.permissions import ArticlePolicy
from problems.models import KnownError, Problem
from problems.permissions import ProblemPolicy
from problems.views import may_read_problems
from problems.views_portal import may_use_portal
from releases import workflow as release_wf
from releases.models import Artifact, DeploymentTask, Release
from releases.permissions import ReleasePolicy
from releases.services.lifecycle import release_create
from releases.views import may_read_releases
from reports.scope import reader_scope
from reports.selectors import dashboards_for, readable_measures
from servicedesk.management.commands.seed_demo import DEMO_PASSWORD, PEOPLE
from servicedesk.models import (
    ApiToken,
    Attachment,
    InAppNotification,
    InboundEmail,
    Macro,
    Mailbox,
    SavedView,
    SLAClock,
    User,
    Watcher,
    WebhookSubscription,
)
from servicedesk.reporting.facts import facts_refresh_due
from servicedesk.reporting.measures import measures

from .crawler import Crawler

ROLES = [person[0] for person in PEOPLE]
MAX_PAGES = 400
# Admin pages are many and alike (a changelist, add, change and history page per model): three of each.
ADMIN_CAP = ("/admin/", 3)
# Opening a notification marks it read and goes to its record: two are enough (issue 19).
NOTIFICATION_CAP = ("/notifications/", 2)


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
    # The notification centre (issue 19): the bell has something to show, a mention among it.
    assert InAppNotification.objects.filter(event="mentioned", user__username="bob").exists()
    assert set(SLAClock.objects.values_list("state", flat=True)) == set(SLAClock.State.values)
    # Problems (issue 15): one in each status, known errors in each published state, and a candidate
    # page with something to decide once the trend task runs.
    assert set(Problem.objects.values_list("status", flat=True)) >= {
        "new", "investigating", "known_error", "resolved", "closed"
    }  # fmt: skip
    assert set(KnownError.objects.values_list("status", flat=True)) >= {"draft", "agents", "portal"}
    # Changes (issue 16): every status a change page draws differently.
    assert set(Change.objects.values_list("status", flat=True)) >= {
        "draft", "submitted", "assessment", "awaiting_approval", "approved", "scheduled", "implementing",
        "review", "backed_out", "closed", "rejected", "cancelled",
    }  # fmt: skip
    # Releases (issue 17): one in each status, waves with tasks, stored artifacts to download.
    assert set(Release.objects.values_list("status", flat=True)) == set(release_wf.STATUSES)
    assert DeploymentTask.objects.exists()
    assert Artifact.objects.exclude(file="").exists()
    # Macros and watchers (issue 19): everyone's, a group's and a personal macro; watchers on a record.
    assert Macro.objects.filter(owner__isnull=True, group__isnull=True).exists()
    assert Macro.objects.filter(group__isnull=False).exists()
    assert Macro.objects.filter(owner__isnull=False).exists()
    assert Watcher.objects.filter(user__isnull=False).exists()
    assert Watcher.objects.filter(user__isnull=True).exists()


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_demo_user_reaches_answers_without_a_server_error(signed_in, username):
    crawler = Crawler(
        signed_in(username), max_pages=MAX_PAGES, route_caps=[ADMIN_CAP, NOTIFICATION_CAP], seed=username
    )

    started = time.monotonic()
    result = crawler.crawl("/")
    elapsed = time.monotonic() - started

    slowest = sorted(result.seconds_by_route.items(), key=lambda item: -item[1])[:5]
    print(f"{username}: {result.pages} pages in {elapsed:.1f} s, {dict(result.statuses)}; slowest: {slowest}")
    assert result.pages > 5
    assert not result.failures, f"{len(result.failures)} server errors:\n" + "\n".join(
        map(str, result.failures)
    )
    assert any(url.startswith("/notifications/") for url in result.urls), result.by_route
    reached = {name for name, pattern in PROBLEM_PAGES.items() if any(map(pattern.match, result.urls))}
    assert reached == problem_pages_reachable(User.objects.get(username=username)), result.by_route
    reached = {name for name, pattern in CHANGE_PAGES.items() if any(map(pattern.match, result.urls))}
    assert reached == change_pages_reachable(User.objects.get(username=username)), result.by_route
    reached = {name for name, pattern in RELEASE_PAGES.items() if any(map(pattern.match, result.urls))}
    assert reached == release_pages_reachable(User.objects.get(username=username)), result.by_route
    reached = {name for name, pattern in REPORT_PAGES.items() if any(map(pattern.match, result.urls))}
    assert reached == report_pages_reachable(User.objects.get(username=username)), result.by_route


# The problem pages (issue 15) by address: what the crawl must reach for whoever may see them.
PROBLEM_PAGES = {
    "list": re.compile(r"^/desk/problems/(\?|$)"),
    "record": re.compile(r"^/records/PRB\d+/$"),
    "new": re.compile(r"^/desk/problems/new/"),
    "kedb": re.compile(r"^/desk/known-errors/"),
    "candidates": re.compile(r"^/problems/candidates/$"),
    "suggestions": re.compile(r"^/portal/suggestions/"),
}


def problem_pages_reachable(user) -> set[str]:
    """The problem pages `user` may open and finds links to: agents who may read problems their list,
    records and the KEDB; those who may raise one the new problem's form; problem managers the
    candidates; requesters (whose menu is the portal's) the suggestions under a new incident's title."""
    pages = set()
    if may_read_problems(user):
        pages |= {"list", "record", "kedb"}
        if ProblemPolicy.can_file(user):
            pages.add("new")
        if ProblemPolicy.can_decide_candidates(user):
            pages.add("candidates")
    if may_use_portal(user) and not user.is_agent:
        pages.add("suggestions")
    return pages


def _problem_addresses() -> dict[str, str]:
    problem = Problem.objects.order_by("pk").first()
    incident = Incident.objects.filter(kind="incident").order_by("pk").first()
    return {
        "list": "/desk/problems/",
        "record": f"/records/{problem.number}/",
        "new": "/desk/problems/new/",
        "kedb": "/desk/known-errors/?q=VPN",
        "kedb_panel": f"/desk/records/{incident.number}/known-errors/?q=VPN",
        "candidates": "/problems/candidates/",
        "suggestions": "/portal/suggestions/?title=VPN+drops",
    }


@pytest.mark.parametrize("username", ROLES)
def test_the_problem_pages_answer_who_may_see_them_and_are_not_found_for_the_others(signed_in, username):
    user = User.objects.get(username=username)
    reader = may_read_problems(user)
    allowed = {
        "list": reader,
        "record": reader,
        "new": reader and ProblemPolicy.can_file(user),
        "kedb": reader,
        "kedb_panel": reader,
        "candidates": reader and ProblemPolicy.can_decide_candidates(user),
        "suggestions": may_use_portal(user),
    }
    client = signed_in(username)

    answers = {name: client.get(url).status_code for name, url in _problem_addresses().items()}

    assert answers == {name: 200 if ok else 404 for name, ok in allowed.items()}


# The change pages (issue 16) by address: what the crawl must reach for whoever may see them.
CHANGE_PAGES = {
    "list": re.compile(r"^/desk/changes/(\?|$)"),
    "record": re.compile(r"^/records/CHG\d+/$"),
    "new": re.compile(r"^/desk/changes/new/"),
    "standard": re.compile(r"^/desk/changes/standard/"),
    "agenda": re.compile(r"^/desk/changes/agenda/"),
    "schedule": re.compile(r"^/desk/changes/schedule/"),
    "success": re.compile(r"^/desk/changes/success/"),
}


def change_pages_reachable(user) -> set[str]:
    """The change pages `user` may open and finds links to: agents who see changes their list, records,
    the catalogue, the agenda, the schedule and the success rate; those who may raise one the new form.
    Requesters find none (they requested no change in the demo)."""
    pages = set()
    if may_read_changes(user):
        pages |= {"list", "record", "standard", "agenda", "schedule", "success"}
        if ChangePolicy.can_file(user):
            pages.add("new")
    return pages


def _change_addresses() -> dict[str, str]:
    change = Change.objects.order_by("pk").first()
    return {
        "list": "/desk/changes/",
        "record": f"/records/{change.number}/",
        "new": "/desk/changes/new/",
        "standard": "/desk/changes/standard/",
        "agenda": "/desk/changes/agenda/",
        "success": "/desk/changes/success/",
    }


@pytest.mark.parametrize("username", ROLES)
def test_the_change_pages_answer_who_may_see_them_and_are_not_found_for_the_others(signed_in, username):
    user = User.objects.get(username=username)
    reader = may_read_changes(user)
    allowed = {
        "list": reader,
        "record": reader,
        "new": reader and ChangePolicy.can_file(user),
        "standard": reader,
        "agenda": reader,
        "success": reader,
    }
    client = signed_in(username)

    answers = {name: client.get(url).status_code for name, url in _change_addresses().items()}

    assert answers == {name: 200 if ok else 404 for name, ok in allowed.items()}
    # The schedule is everyone's: a requester's shows the changes they requested (none here); its feed
    # answers the person whose key it is and nobody else.
    assert client.get("/desk/changes/schedule/?view=list").status_code == 200
    assert client.get("/feeds/changes/no-such-key.ics").status_code == 404
    client.post("/desk/changes/schedule/feed/")
    feed = CalendarFeed.objects.filter(user=user).first()
    assert feed is not None
    answer = client.get(f"/feeds/changes/{feed.key}.ics")
    assert (answer.status_code, answer["Content-Type"].split(";")[0]) == (200, "text/calendar")
    assert (b"BEGIN:VEVENT" in answer.content) == reader


# The release pages (issue 17) by address: what the crawl must reach for whoever may see them.
RELEASE_PAGES = {
    "list": re.compile(r"^/desk/releases/(\?|$)"),
    "record": re.compile(r"^/records/REL\d+/$"),
    "new": re.compile(r"^/desk/releases/new/"),
    "tasks": re.compile(r"^/desk/releases/REL\d+/deployment/waves/\d+/tasks/"),
    "download": re.compile(r"^/desk/releases/REL\d+/artifacts/\d+/download/$"),
}


def release_pages_reachable(user) -> set[str]:
    """The release pages `user` may open and finds links to: agents who see releases their list and
    (when the demo holds one) records, their waves' tasks and artifacts' downloads; those who may raise
    one the new form. Requesters find none."""
    pages = set()
    if may_read_releases(user):
        pages.add("list")
        if Release.objects.exists():
            pages.add("record")
        if DeploymentTask.objects.exists():
            pages.add("tasks")
        if Artifact.objects.exclude(file="").exists():
            pages.add("download")
        if ReleasePolicy.can_file(user):
            pages.add("new")
    return pages


@pytest.mark.parametrize("username", ROLES)
def test_the_release_pages_answer_who_may_see_them_and_are_not_found_for_the_others(signed_in, username):
    user = User.objects.get(username=username)
    maker = next(person for person in User.objects.order_by("pk") if ReleasePolicy.can_file(person))
    release = Release.objects.order_by("pk").first() or release_create(
        actor=maker, title="Crawl release", release_version="1.0"
    )
    reader = may_read_releases(user)
    allowed = {
        "list": reader,
        "record": reader or release.requester_id == user.pk,
        "new": reader and ReleasePolicy.can_file(user),
    }
    client = signed_in(username)
    addresses = {
        "list": "/desk/releases/",
        "record": f"/records/{release.number}/",
        "new": "/desk/releases/new/",
    }

    answers = {name: client.get(url).status_code for name, url in addresses.items()}

    assert answers == {name: 200 if ok else 404 for name, ok in allowed.items()}
    assert client.get("/desk/releases/?view=all&status=nonsense").status_code == (400 if reader else 404)
    # The forward schedule shows the release being deployed to whoever sees every release.
    deploying = Release.objects.filter(status=release_wf.DEPLOYING).first()
    if deploying is not None:
        schedule = client.get("/desk/changes/schedule/?view=list")
        assert schedule.status_code == 200
        assert (deploying.number in schedule.content.decode()) == ReleasePolicy.sees_all(user)


# The management information pages (issue 18) by address: what the crawl must reach for whoever reads them.
REPORT_PAGES = {
    "dashboard": re.compile(r"^/reports/dashboards/[\w-]+/$"),
    "index": re.compile(r"^/reports/measures/$"),
    "report": re.compile(r"^/reports/measures/[\w-]+/"),
}


def report_pages_reachable(user) -> set[str]:
    """Whoever has figures to read (agents, managers, administrators) finds the dashboards, the report
    index and the reports from the workspace's menu; requesters find none."""
    return set(REPORT_PAGES) if reader_scope(user) is not None else set()


@pytest.mark.parametrize("username", ROLES)
def test_every_report_page_renders_the_demo_figures_for_who_reads_them_and_is_not_found_for_others(
    signed_in, username
):
    facts_refresh_due()
    user = User.objects.get(username=username)
    scope = reader_scope(user)
    boards = [code for code, _label in dashboards_for(scope)] if scope else []
    readable = {found.key for found in readable_measures(scope)}
    addresses = {f"/reports/dashboards/{code}/": code in boards for code in ("manager", "agent", "services")}
    addresses["/reports/measures/"] = scope is not None
    for found in measures():
        addresses[f"/reports/measures/{found.key}/"] = found.key in readable
        addresses[f"/reports/measures/{found.key}/?period=last_12_months&by={found.breakdowns[-1]}"] = (
            found.key in readable
        )
    client = signed_in(username)

    answers = {url: client.get(url).status_code for url in addresses}

    assert answers == {url: 200 if ok else 404 for url, ok in addresses.items()}
    home = client.get("/reports/")
    assert (home.status_code, home.get("Location")) == (
        (302, f"/reports/dashboards/{boards[0]}/") if boards else (404, None)
    )
    # The dashboards' refresh (htmx) answers the tiles alone.
    for code in boards:
        tiles = client.get(
            f"/reports/dashboards/{code}/", headers={"HX-Request": "true", "HX-Target": "dashboard-tiles"}
        )
        assert tiles.status_code == 200
        assert b'id="dashboard-tiles"' in tiles.content
        assert b"<html" not in tiles.content


@pytest.mark.parametrize("username", ROLES)
def test_the_fulfilment_pages_answer_agents_and_show_the_demo_laptops_answers(signed_in, username):
    """Issue 19 item 6: the task list is the workspace's (404 for the others), the demo's half-fulfilled
    laptop request shows its answers to its requester and to agents, and its new-request form renders."""
    from incidents.demo.fulfilment import DEMO_TITLE
    from incidents.models import FulfilmentTask, RequestType
    from incidents.permissions import IncidentPolicy

    user = User.objects.get(username=username)
    client = signed_in(username)
    assert FulfilmentTask.objects.filter(status="ready").exists()
    tasks = client.get("/desk/tasks/?tab=all")
    assert tasks.status_code == (200 if user.is_agent else 404)
    record = Incident.objects.get(title=DEMO_TITLE)
    page = client.get(f"/records/{record.number}/")
    if username == "alice" or IncidentPolicy.is_agent(user):
        assert page.status_code == 200
        assert b'data-testid="request-answers"' in page.content
        assert b'data-testid="record-tasks"' in page.content
    laptop = RequestType.objects.get(name="New laptop")
    if IncidentPolicy.can_file(user) and user.has_perm("servicedesk.access_portal"):
        form = client.get(f"/portal/new/request/{laptop.pk}/")
        assert form.status_code == 200
        assert b'data-testid="request-fields"' in form.content


# The knowledge pages (issue 19, item 7) by address: what the crawl must reach, and who may open them.
KNOWLEDGE_PAGES = {
    "home": re.compile(r"^/knowledge/(\?|$)"),
    "article": re.compile(r"^/knowledge/KB\d+/(\?|$)"),
    "history": re.compile(r"^/knowledge/KB\d+/history/"),
    "portal_article": re.compile(r"^/portal/knowledge/KB\d+/"),
}


def _knowledge_addresses() -> dict[str, str]:
    published = Article.objects.filter(status="published", audience="portal").order_by("pk").first()
    review = Article.objects.filter(status="review").order_by("pk").first()
    return {
        "home": "/knowledge/?q=VPN",
        "article": f"/knowledge/{published.number}/",
        "history": f"/knowledge/{published.number}/history/",
        "new": "/knowledge/new/",
        "edit": f"/knowledge/{review.number}/edit/",
        "review": "/knowledge/review/",
        "portal_article": f"/portal/knowledge/{published.number}/",
        "portal_search": "/portal/search/?q=VPN",
    }


def test_the_demo_holds_published_articles_in_english_and_chinese(demo_desk, db):
    assert set(Article.objects.values_list("status", flat=True)) >= {"published", "review"}
    assert ArticleTranslation.objects.filter(language="zh-hans", article__audience="portal").exists()


@pytest.mark.parametrize("username", ROLES)
def test_the_knowledge_pages_answer_who_may_see_them(signed_in, username):
    user = User.objects.get(username=username)
    reader = ArticlePolicy.reads_all(user)
    portal = may_use_portal(user)
    allowed = {
        "home": reader,
        "article": reader,
        "history": reader,
        "new": reader and ArticlePolicy.can_write(user),
        "edit": reader and ArticlePolicy.can_write(user),
        "review": reader and ArticlePolicy.can_review(user),
        "portal_article": portal,
        "portal_search": portal,
    }
    client = signed_in(username)

    answers = {name: client.get(url).status_code for name, url in _knowledge_addresses().items()}

    # A reader who may not write is refused the new article's form (403) and cannot see a draft (404).
    expected = {
        name: 200 if ok else (403 if name == "new" and reader else 404) for name, ok in allowed.items()
    }
    assert answers == expected
    if reader:
        crawler = Crawler(client, max_pages=60, seed=username)
        result = crawler.crawl("/knowledge/")
        assert not result.failures, result.failures
        reached = {name for name, pattern in KNOWLEDGE_PAGES.items() if any(map(pattern.match, result.urls))}
        assert reached >= {"home", "article"}, result.by_route
