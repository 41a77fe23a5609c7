"""Browser tests: Debian's Chromium, driven by pytest-playwright, against pytest-django's live server.

Every test here is marked `e2e`, runs on a transactional database (the live server is another thread)
and records what the browser reports: console errors, uncaught exceptions, content security policy
violations and every request URL.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connections

from tests.factories import PASSWORD

# The sync Playwright API runs an event loop in this thread, so Django refuses ORM calls from it
# without this (microsoft/playwright-pytest#29). Set here only, never for the rest of the suite.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
TIMEOUT_MS = 15_000
# axe-core, vendored from npm by scripts/vendor_test_assets.sh (checksums in vendor/VERSIONS).
(AXE_SCRIPT,) = HERE.glob("vendor/axe-core-*/axe.min.js")
AXE_FAILING_IMPACTS = ("serious", "critical")

# Injected before any page script; CSP does not apply to it. Each violation becomes a console error.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Mark the browser tests, and run them last (after any shuffling): once Playwright's session-wide
    event loop has started, Django keeps connections per context, and tests after it would leave
    PostgreSQL sessions open."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: HERE in item.path.parents)


# Database ------------------------------------------------------------------------------------------
#
# Live-server tests commit for real and pytest-django flushes the database after each; the flush
# sends post_migrate, which re-creates the roles (servicedesk.roles.restore_missing_roles).


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db, live_server):
    """Every e2e test runs on a committed database served by the live server."""
    yield
    # While Playwright's event loop runs, Django keeps this thread's connections apart from the
    # usual ones; close them here or they keep the test database from being dropped at the end.
    connections.close_all()


# Browser -------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_server):
    """The live server (this also replaces pytest-playwright's fallback, which warns on pytest 9)."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "en-GB", "viewport": {"width": 1280, "height": 900}}


class BrowserLog:
    """What the browser reported while a test ran."""

    def __init__(self):
        self.reported: list[str] = []
        self.requests: list[str] = []

    # A page that refuses input answers 400 (a form's errors), 409 or 412 (a conflict to resolve) and
    # shows why; the browser notes each such answer as a console error, which is not one.
    REFUSALS = tuple(f"the server responded with a status of {code} " for code in (400, 409, 412))

    def on_console(self, message):
        if message.type == "error" and not any(refusal in message.text for refusal in self.REFUSALS):
            self.reported.append(f"console error: {message.text} ({message.location.get('url')})")

    def on_page_error(self, error):
        self.reported.append(f"page error: {error}")

    @property
    def errors(self) -> list[str]:
        """What went wrong, less htmx's report of a request the browser abandoned because the person moved
        on to another page (a panel still loading): htmx logs `htmx:sendAbort` and, with it, the request's
        `htmx:afterRequest` as errors. A failed answer is still an error (its status, `htmx:responseError`).
        """
        aborted = sum(1 for line in self.reported if "htmx:sendAbort" in line)
        kept = []
        for line in self.reported:
            if "htmx:sendAbort" in line:
                continue
            if "htmx:afterRequest" in line and aborted:
                aborted -= 1
                continue
            kept.append(line)
        return kept

    def foreign_requests(self, base_url: str) -> list[str]:
        """Requests to any host other than `base_url`'s (data: and blob: URLs are local)."""
        own = urlsplit(base_url).netloc
        return [
            url
            for url in self.requests
            if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != own
        ]


@pytest.fixture
def browser_log():
    return BrowserLog()


@pytest.fixture
def page(page, browser_log):
    """pytest-playwright's page, with its console errors, page errors and requests recorded."""
    page.set_default_timeout(TIMEOUT_MS)
    page.add_init_script(_REPORT_CSP_VIOLATIONS)
    page.on("console", browser_log.on_console)
    page.on("pageerror", browser_log.on_page_error)
    page.on("request", lambda request: browser_log.requests.append(request.url))
    return page


@pytest.fixture
def log_in(page, live_server):
    """`log_in(user)`: sign in through the login form, as a person would; returns the page."""

    def _log_in(user, password=PASSWORD):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _log_in


# Accessibility ------------------------------------------------------------------------------------


def _axe_lines(path: str, violation: dict) -> list[str]:
    lines = [f"{path}: {violation['id']} ({violation['impact']}): {violation['help']}"]
    for node in violation["nodes"][:5]:
        summary = " ".join(node.get("failureSummary", "").split())
        lines.append(f"    {' '.join(node['target'])}: {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more")
    return lines


@pytest.fixture
def axe_findings(page, live_server):
    """`axe_findings(path)`: open `path` and return axe-core's serious and critical findings on it, as
    readable lines (empty when there are none).

    axe is evaluated through the DevTools protocol, which the page's content security policy does not
    govern; `page.add_script_tag` would insert an inline script, which the policy refuses (checked in
    test_accessibility.py).
    """
    source = AXE_SCRIPT.read_text()

    def _findings(path: str) -> list[str]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.evaluate(source)
        results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        lines = []
        for violation in results["violations"]:
            if violation["impact"] in AXE_FAILING_IMPACTS:
                lines.extend(_axe_lines(path, violation))
        return lines

    return _findings
