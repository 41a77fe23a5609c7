"""Working a record with macros and watchers in a real browser (issue 19, item 2): the agent adds a
colleague of the requester as a watcher, writes a work note, then applies a macro that replies and puts
the record on hold for the requester. The watcher is e-mailed the reply, never the work note; the new
pages have no serious accessibility finding."""

import time

from django.core import mail
from playwright.sync_api import expect

from incidents import services
from incidents import workflow as wf
from servicedesk.roles import AGENT, REQUESTER
from servicedesk.services.macros import macro_create
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def test_an_agent_applies_a_macro_and_the_watcher_hears_the_reply_not_the_note(
    log_in, live_server, axe_findings, browser_log
):
    agent = UserFactory(username="bob", full_name="Bob Smith", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[agent])
    service = BusinessServiceFactory(name="E-mail", support_group=desk)
    requester = UserFactory(username="alice", full_name="Alice Martin", roles=[REQUESTER])
    lead = UserFactory(username="fiona", full_name="Fiona Lead", roles=[REQUESTER], email="fiona@example.com")
    record = services.incident_create(actor=requester, title="Outlook does not start", service=service)
    record = services.incident_assign(record=record, actor=agent, assignee=agent)
    record = services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS)
    macro_create(
        actor=agent,
        owner=agent,
        name="Ask for a screenshot",
        body="Hello {{ requester.first_name }}, please send us a screenshot of the error.",
        changes={"status": wf.ON_HOLD, "hold_reason": "requester"},
    )
    base = live_server.url

    page = log_in(agent)
    page.goto(f"{base}/records/{record.number}/")

    # The agent adds the requester's finance lead by her address: the person with that address watches.
    watchers = page.get_by_test_id("watchers-box")
    watchers.get_by_label("or an e-mail address").fill("fiona@example.com")
    watchers.get_by_test_id("watcher-add").click()
    expect(page.get_by_test_id("watcher")).to_contain_text("Fiona Lead")

    # A work note: for agents only.
    comment = page.get_by_test_id("comment-form")
    comment.get_by_label("Agents only (work note)").check()
    comment.get_by_label("Text").fill("The mailbox is over quota: internal only.")
    comment.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("over quota")

    # The macro: its text is previewed for the record, then applied with its change.
    chooser = page.get_by_test_id("macro-chooser")
    chooser.get_by_label("Apply a canned response").select_option(label="Ask for a screenshot")
    body = page.get_by_test_id("macro-body")
    expect(body).to_have_value("Hello Alice, please send us a screenshot of the error.")
    expect(page.get_by_test_id("macro-changes")).to_contain_text("Waiting for the requester")
    page.get_by_test_id("macro-apply").click()
    page.wait_for_url(f"{base}/records/{record.number}/")
    expect(page.get_by_test_id("timeline")).to_contain_text("please send us a screenshot")
    record.refresh_from_db()
    assert record.status == wf.ON_HOLD
    assert record.hold_reason == "requester"

    # The watcher got the public reply, once, and never the work note.
    assert _wait_for(lambda: any("fiona@example.com" in m.to for m in mail.outbox))
    to_lead = [m for m in mail.outbox if "fiona@example.com" in m.to]
    assert len([m for m in to_lead if "please send us a screenshot" in m.body]) == 1
    assert not [m for m in mail.outbox if "over quota" in m.body]

    findings = []
    for path in ["/desk/macros/", "/desk/macros/new/", f"/records/{record.number}/"]:
        findings += axe_findings(path)
    page.get_by_test_id("macro-chooser").get_by_label("Apply a canned response").select_option(
        label="Ask for a screenshot"
    )
    expect(page.get_by_test_id("macro-body")).to_be_visible()
    assert browser_log.errors == []

    # The watcher reads the record in the portal, without a reply box, and may stop following it.
    page.get_by_role("button", name="Sign out").click()
    log_in(lead)
    findings += axe_findings(f"/records/{record.number}/")
    expect(page.get_by_test_id("unfollow")).to_be_visible()
    assert findings == [], "\n".join(findings)
    page.get_by_test_id("unfollow").click()
    page.wait_for_url(f"{base}/")
    assert browser_log.errors == []
