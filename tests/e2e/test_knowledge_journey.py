"""Knowledge articles in a real browser (issue 19, item 7, and item 4's search box): an agent turns an
incident's resolution into a draft, a reviewer publishes it to the portal, a requester finds it through the
portal's search box and while typing a new incident, and says it helped (counted once). axe finds no
serious or critical violation on the new pages."""

import re

from playwright.sync_api import expect

from incidents import services as incident_services
from knowledge.models import Article, ArticleFeedback
from servicedesk.records.transitions import record_transition
from servicedesk.roles import AGENT, GROUP_MANAGER, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def test_a_resolution_becomes_a_portal_article_a_requester_finds_and_rates(
    page, log_in, live_server, browser_log, axe_findings
):
    author = UserFactory(full_name="Bob Agent", roles=[AGENT])
    reviewer = UserFactory(full_name="Carol Reviewer", roles=[AGENT, GROUP_MANAGER])
    desk = SupportGroupFactory(name="Service Desk", members=[author, reviewer], manager=reviewer)
    BusinessServiceFactory(name="E-mail", support_group=desk)
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    incident = incident_services.incident_create(
        actor=requester, title="Outlook asks for the password again", description="Every few minutes."
    )
    incident = record_transition(
        record=incident, actor=author, to="resolved", resolution_code="solved",
        resolution_notes="Remove the **stale Outlook credential** in Credential Manager, restart Outlook.",
    )  # fmt: skip

    # The agent turns the resolution into a draft, for the portal, and sends it for review.
    log_in(author)
    page.goto(f"{live_server.url}/records/{incident.number}/")
    page.get_by_test_id("article-from-resolution").click()
    page.wait_for_url(re.compile(r"/knowledge/KB\d+/edit/"))
    form = page.get_by_test_id("article-form")
    expect(form.get_by_label("Title")).to_have_value("Outlook asks for the password again")
    expect(form.get_by_label("Text")).to_contain_text("stale Outlook credential")
    form.get_by_label("Audience once published").select_option("portal")
    page.get_by_test_id("article-save").click()
    page.wait_for_url(re.compile(r"/knowledge/KB\d+/\?lang=en$"))
    expect(page.get_by_test_id("article-source")).to_have_text(incident.number)
    expect(page.get_by_test_id("article-body").locator("strong")).to_have_text("stale Outlook credential")
    article = Article.objects.get()
    author_findings = [
        *axe_findings(f"/knowledge/{article.number}/"),
        *axe_findings(f"/knowledge/{article.number}/edit/"),
        *axe_findings("/knowledge/new/"),
    ]
    page.goto(f"{live_server.url}/knowledge/{article.number}/")
    page.get_by_test_id("transition-submit").click()
    expect(page.get_by_test_id("article-status")).to_have_text("In review")

    # The reviewer publishes it from the review queue.
    page.context.clear_cookies()
    log_in(reviewer)
    page.goto(f"{live_server.url}/knowledge/review/")
    page.get_by_test_id("kb-review-row").get_by_role("link", name=article.number).click()
    page.get_by_test_id("transition-publish").click()
    expect(page.get_by_test_id("article-status")).to_have_text("Published")
    reviewer_findings = [
        *axe_findings("/knowledge/"),
        *axe_findings("/knowledge/?q=Outlook"),
        *axe_findings("/knowledge/review/"),
        *axe_findings(f"/knowledge/{article.number}/history/"),
    ]

    # The requester finds it through the portal's search box, then while typing a new incident.
    page.context.clear_cookies()
    log_in(requester)
    box = page.get_by_test_id("portal-search-box")
    box.get_by_role("searchbox").fill("Outlook password")
    box.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("portal-search-results")
    expect(results.get_by_test_id("found-record")).to_contain_text(incident.number)
    hit = results.locator('[data-testid="knowledge-hit"][data-source="articles"]')
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text("Outlook asks for the password again")
    requester_findings = axe_findings("/portal/search/?q=Outlook+password")

    page.goto(f"{live_server.url}/portal/new/incident/")
    page.get_by_label("What is wrong?").press_sequentially("Outlook password", delay=30)
    suggested = page.get_by_test_id("suggested-article")
    expect(suggested).to_have_count(1)
    page.goto(f"{live_server.url}{suggested.get_by_role('link').get_attribute('href')}")
    expect(page.get_by_test_id("article-title")).to_have_text("Outlook asks for the password again")
    page.get_by_test_id("helpful-yes").click()
    expect(page.locator(".alert-success")).to_contain_text("your answer is counted")
    expect(page.get_by_test_id("helpful-count")).to_have_attribute("data-yes", "1")
    page.get_by_test_id("helpful-yes").click()
    expect(page.get_by_test_id("helpful-count")).to_have_attribute("data-yes", "1")
    assert list(ArticleFeedback.objects.values_list("user", "helpful")) == [(requester.pk, True)]
    requester_findings += axe_findings(f"/portal/knowledge/{article.number}/")

    findings = author_findings + reviewer_findings + requester_findings
    assert findings == [], "\n".join(findings)
    assert browser_log.errors == []
