"""The notification centre in a real browser (issue 19, item 2): carol assigns a record to bob and mentions
@wang in a work note; bob's bell shows 1, he opens the panel and the record, and the count drops; wang
sees the mention; a requester who turns "in the app" off for replies gets none there, still by e-mail."""

from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from incidents.services import incident_comment, incident_create
from servicedesk.models import InAppNotification, OutboxMessage
from servicedesk.roles import AGENT, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def _bell_count(page):
    return page.get_by_test_id("bell-count")


def test_assignment_and_mention_light_the_bell_and_reading_puts_it_out(
    page, log_in, live_server, browser_log, axe_findings
):
    carol = UserFactory(username="carol", full_name="Carol Lead", roles=[AGENT])
    bob = UserFactory(username="bob", full_name="Bob Agent", roles=[AGENT])
    wang = UserFactory(username="wang", full_name="Wang Fang", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[carol, bob, wang])
    service = BusinessServiceFactory(name="E-mail", support_group=desk)
    requester = UserFactory(username="rita", full_name="Rita Requester", roles=[REQUESTER])
    record = incident_create(actor=requester, title="Outlook crashes at start", service=service)
    # The group heard of the new record; everyone has read that already.
    InAppNotification.objects.update(read_at=timezone.now())

    # Carol assigns the record to bob and asks wang in a work note.
    page = log_in(carol)
    page.goto(f"{live_server.url}/records/{record.number}/")
    assignment = page.get_by_test_id("assign-form")
    assignment.get_by_label("Assignee", exact=True).select_option(label="Bob Agent")
    assignment.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_test_id("current-assignee")).to_have_text("Bob Agent")
    comment = page.get_by_test_id("comment-form")
    comment.get_by_label("Agents only (work note)").check()
    comment.get_by_label("Text").fill("@wang can you check the mail gateway?")
    comment.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("can you check the mail gateway?")
    expect(_bell_count(page)).to_have_attribute("data-unread", "0")  # nothing for her own actions
    page.context.clear_cookies()

    # Bob: one unread; the panel shows it; opening it goes to the record and the count drops.
    page = log_in(bob)
    expect(_bell_count(page)).to_have_attribute("data-unread", "1")
    expect(_bell_count(page)).to_contain_text("1")
    page.locator("#bell-button").click()
    panel = page.get_by_test_id("bell-panel")
    entry = panel.get_by_test_id("notification").first
    expect(entry).to_contain_text("Assigned to you or your group")
    expect(entry).to_contain_text(record.number)
    assert axe_findings_on_open_panel(page) == []
    entry.click()
    page.wait_for_url(f"{live_server.url}/records/{record.number}/")
    expect(_bell_count(page)).to_have_attribute("data-unread", "0")
    page.context.clear_cookies()

    # Wang: the mention, with the note's text, on the full list.
    page = log_in(wang)
    expect(_bell_count(page)).to_have_attribute("data-unread", "1")
    page.goto(f"{live_server.url}/notifications/?unread=1")
    mention = page.get_by_test_id("notification-list").get_by_test_id("notification")
    expect(mention).to_have_count(1)
    expect(mention).to_contain_text("Mentioned you")
    expect(mention).to_contain_text("can you check the mail gateway?")
    page.get_by_test_id("read-all").click()
    expect(page.get_by_text("You have read everything.")).to_be_visible()
    expect(_bell_count(page)).to_have_attribute("data-unread", "0")
    page.context.clear_cookies()

    # Rita turns replies off in the app (not by e-mail); bob's public reply then reaches only her mailbox.
    page = log_in(requester)
    page.goto(f"{live_server.url}/profile/notifications/")
    page.locator("#id_in_app_commented").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("saved")
    expect(page.locator("#id_in_app_commented")).not_to_be_checked()
    expect(page.locator("#id_email_commented")).to_be_checked()
    with transaction.atomic():
        incident_comment(record=record, actor=bob, body="We are rebuilding your mail profile.")
    page.reload()
    expect(_bell_count(page)).to_have_attribute("data-unread", "0")
    assert not InAppNotification.objects.filter(user=requester, event="commented").exists()
    assert OutboxMessage.objects.filter(recipient=requester.email, event="notification.commented").exists()

    for path in ("/notifications/", "/profile/notifications/"):
        assert axe_findings(path) == []
    assert browser_log.errors == []


def axe_findings_on_open_panel(page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is (the bell's panel open)."""
    from tests.e2e.conftest import AXE_FAILING_IMPACTS, AXE_SCRIPT

    page.evaluate(AXE_SCRIPT.read_text())
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}"
        for violation in results["violations"]
        if violation["impact"] in AXE_FAILING_IMPACTS
    ]
