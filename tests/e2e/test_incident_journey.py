"""A requester and an agent work one incident to the end, in a real browser (issue 4 acceptance)."""

import re

from playwright.sync_api import expect

from incidents.models import Incident
from servicedesk.models import Attachment
from servicedesk.roles import AGENT, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory

# The smallest valid PNG: a 1x1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


def _resolve(page, notes):
    transition = page.locator('[data-testid="transition"][data-transition="resolve"]')
    transition.locator("summary").click()
    transition.get_by_label("Resolution code").select_option("solved")
    transition.get_by_label("Resolution notes").fill(notes)
    transition.get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("transitions-panel")).not_to_contain_text("Put on hold")


def test_a_requester_and_an_agent_work_an_incident_from_report_to_rating(
    log_in, live_server, browser_log, settings, tmp_path
):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"
    base = live_server.url
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT])
    desk = SupportGroupFactory(name="Messaging", members=[agent])
    BusinessServiceFactory(name="E-mail", support_group=desk)
    for n in range(30):  # more services than the menu lists before anything is typed
        BusinessServiceFactory(name=f"Application {n:02}")
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])

    # The requester reports a problem with a screenshot.
    page = log_in(requester)
    page.get_by_test_id("portal-report").click()
    form = page.get_by_test_id("incident-form")
    form.get_by_label("What is wrong?").fill("Outlook crashes at start")
    form.get_by_label("Description").fill("It shows **an error** and closes.")
    service = form.get_by_label("Which service is affected?", exact=True)
    expect(service.locator("option", has_text="E-mail")).to_have_count(0)  # beyond the first 25
    form.get_by_label("Search: Which service is affected?").fill("mail")
    expect(service.locator("option")).to_have_text(["I don't know", "E-mail"])
    service.select_option(label="E-mail")
    form.get_by_label("I cannot work").check()
    form.get_by_label("Attachments").set_input_files(
        [{"name": "screenshot.png", "mimeType": "image/png", "buffer": PNG}]
    )
    form.get_by_role("button", name="Send").click()
    record = Incident.objects.get(title="Outlook crashes at start")
    expect(page).to_have_url(f"{base}/records/{record.number}/")
    expect(page.get_by_test_id("attachment-link")).to_contain_text("screenshot.png")
    assert record.support_group == desk
    assert record.channel == "portal"
    assert Attachment.objects.get().name == "screenshot.png"
    _sign_out(page)

    # The agent finds it in the group queue, takes it, notes and replies, and resolves it.
    log_in(agent)
    page.goto(f"{base}/desk/queue/?view=groups")
    page.get_by_test_id("queue-row").filter(has_text=record.number).get_by_role(
        "link", name=record.number
    ).click()
    expect(page).to_have_url(f"{base}/records/{record.number}/")
    page.get_by_test_id("assign-to-me").click()
    expect(page.get_by_test_id("current-assignee")).to_have_text("Ada Agent")

    comment = page.get_by_test_id("comment-form")
    comment.get_by_label("Agents only (work note)").check()
    comment.get_by_label("Text").fill("Internal: the profile is corrupt.")
    comment.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("Internal: the profile is corrupt.")
    comment = page.get_by_test_id("comment-form")
    comment.get_by_label("The requester too (public reply)").check()
    comment.get_by_label("Text").fill("We are rebuilding your mail profile.")
    comment.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("We are rebuilding your mail profile.")

    _resolve(page, "Rebuilt the mail profile.")
    record.refresh_from_db()
    assert record.status == "resolved"
    assert record.assignee == agent
    _sign_out(page)

    # The requester sees the resolution but not the work note, and reopens it.
    log_in(requester)
    page.goto(f"{base}/records/{record.number}/")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Rebuilt the mail profile.")
    expect(timeline).to_contain_text("We are rebuilding your mail profile.")
    expect(page.locator("main")).not_to_contain_text("the profile is corrupt")
    page.get_by_test_id("reopen").locator("summary").click()
    reopen = page.get_by_test_id("reopen-form")
    reopen.get_by_label("What still does not work?").fill("It crashed again after lunch.")
    reopen.get_by_role("button", name="Reopen").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("In progress")
    _sign_out(page)

    # The agent resolves it again.
    log_in(agent)
    page.goto(f"{base}/records/{record.number}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("It crashed again after lunch.")
    _resolve(page, "Replaced the corrupt add-in.")
    _sign_out(page)

    # The requester confirms and rates it.
    log_in(requester)
    page.goto(f"{base}/records/{record.number}/")
    close = page.get_by_test_id("close-form")
    close.get_by_label("5 · Excellent").check()
    close.get_by_label("Comment (optional)").fill("Quick and kind.")
    close.get_by_role("button", name="It works: close it").click()
    expect(page.get_by_test_id("status-badge")).to_have_text("Closed")
    record.refresh_from_db()
    assert (record.status, record.csat_score, record.reopen_count) == ("closed", 5, 1)
    assert browser_log.errors == []
    assert browser_log.foreign_requests(base) == []
