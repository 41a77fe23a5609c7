"""The record page's assignment panel and attachments, in a real browser (issue 12)."""

from playwright.sync_api import expect

from incidents import services
from servicedesk.models import TimelineEntry
from servicedesk.roles import AGENT, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory


def test_the_assignee_menu_follows_the_group_and_assign_to_me_takes_the_record_into_my_group(
    log_in, live_server, browser_log
):
    ada = UserFactory(full_name="Ada Agent", roles=[AGENT])
    bob = UserFactory(full_name="Bob Network", roles=[AGENT])
    carl = UserFactory(full_name="Carl Desk", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[carl])
    network = SupportGroupFactory(name="Network", members=[bob, ada])
    caller = UserFactory(roles=[REQUESTER])
    record = services.incident_create(
        actor=carl, requester=caller, channel="phone", title="VPN drops", support_group=desk
    )
    page = log_in(ada)
    page.goto(f"{live_server.url}/records/{record.number}/")
    panel = page.get_by_test_id("assignment-panel")
    assignee = panel.get_by_label("Assignee", exact=True)
    expect(assignee.locator("option")).to_have_text(["Nobody", "Carl Desk"])

    # Choosing another group lists its members (fetched by htmx), and saving assigns within it.
    panel.get_by_label("Group").select_option(label="Network")
    expect(assignee.locator("option")).to_have_text(["Nobody", "Ada Agent", "Bob Network"])
    assignee.select_option(label="Bob Network")
    panel.get_by_role("button", name="Save assignment").click()
    expect(panel.get_by_test_id("current-assignee")).to_have_text("Bob Network")
    record.refresh_from_db()
    assert (record.support_group, record.assignee) == (network, bob)

    # Another record of the desk: Ada is not a member, so she takes it into her group.
    other = services.incident_create(
        actor=carl, requester=caller, channel="phone", title="Printer", support_group=desk
    )
    page.goto(f"{live_server.url}/records/{other.number}/")
    panel = page.get_by_test_id("assignment-panel")
    expect(panel).to_contain_text("You are not a member of Service Desk")
    panel.get_by_role("button", name="Assign to me in Network").click()
    expect(panel.get_by_test_id("current-assignee")).to_have_text("Ada Agent")
    expect(panel.get_by_test_id("current-group")).to_have_text("Network")
    assert browser_log.errors == []


def test_attachments_over_the_limits_are_refused_before_sending(
    log_in, live_server, browser_log, settings, tmp_path
):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"
    settings.ITSM_ATTACHMENT_MAX_BYTES = 1024
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT])
    SupportGroupFactory(name="Service Desk", members=[agent])
    record = services.incident_create(actor=UserFactory(roles=[REQUESTER]), title="Slow laptop")
    page = log_in(agent)
    page.goto(f"{live_server.url}/records/{record.number}/")
    form = page.get_by_test_id("comment-form")
    files = form.get_by_label("Attachments")
    # The limits are stated beside the field before anything is tried.
    expect(form).to_contain_text("Up to 5 files, 1.0\xa0KB each. Allowed: csv,")

    files.set_input_files(
        [
            {"name": "dump.txt", "mimeType": "text/plain", "buffer": b"x" * 2048},
            {"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"},
        ]
    )
    problems = form.get_by_test_id("upload-problems")
    expect(problems).to_contain_text("“dump.txt” is larger than 1.0\xa0KB.")
    expect(problems).to_contain_text("Files of type “exe” cannot be attached.")
    form.get_by_label("Text").fill("See the logs.")
    sent = []
    page.on("request", lambda request: sent.append(request.url) if "/comment/" in request.url else None)
    form.get_by_role("button", name="Add").click()
    page.wait_for_timeout(300)
    assert sent == []  # the browser held it back; nothing reached the server

    files.set_input_files([{"name": "log.txt", "mimeType": "text/plain", "buffer": b"all good"}])
    expect(problems).to_be_empty()
    form.get_by_role("button", name="Add").click()
    expect(page.get_by_test_id("timeline")).to_contain_text("See the logs.")
    assert TimelineEntry.objects.filter(body="See the logs.").count() == 1
    assert browser_log.errors == []


def test_the_queue_finds_people_by_typing_in_its_filters_and_bulk_actions(log_in, live_server, browser_log):
    """More agents than a menu lists: the assignee filter and the bulk assignee are found by typing
    (`servicedesk.pickers`), and typing alone neither filters nor submits anything."""
    ada = UserFactory(full_name="Ada Agent", roles=[AGENT])
    crowd = [UserFactory(full_name=f"Agent {n:02}", roles=[AGENT]) for n in range(30)]
    zed = UserFactory(full_name="Zed Zimmer", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[ada, zed, *crowd])
    caller = UserFactory(roles=[REQUESTER])
    mine = services.incident_create(
        actor=ada, requester=caller, channel="phone", title="Zed's printer", support_group=desk
    )
    services.incident_assign(actor=ada, record=mine, assignee=zed)
    other = services.incident_create(
        actor=ada, requester=caller, channel="phone", title="Unassigned VPN", support_group=desk
    )
    page = log_in(ada)
    page.goto(f"{live_server.url}/desk/queue/?view=open")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(2)

    filters = page.locator("#queue-filters")
    assignee = filters.get_by_label("Assignee", exact=True)
    expect(assignee.locator("option", has_text="Zed Zimmer")).to_have_count(0)
    filters.get_by_label("Search: Assignee").fill("zim")
    expect(assignee.locator("option", has_text="Zed Zimmer")).to_have_count(1)
    expect(rows).to_have_count(2)  # typing found a person; it did not filter
    assignee.select_option(label="Zed Zimmer")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zed's printer")

    # Bulk: assign the unassigned record to Zed, found the same way.
    page.goto(f"{live_server.url}/desk/queue/?view=open")
    page.get_by_label(f"Select {other.number}").check()
    bulk = page.get_by_test_id("bulk-actions")
    bulk.get_by_label("Action").select_option(label="Assign")
    search = bulk.get_by_label("Search: Assignee")
    search.fill("zed")
    search.press("Enter")  # to the menu; the bulk form is not sent
    menu = bulk.get_by_label("Assignee", exact=True)
    expect(menu).to_be_focused()
    menu.select_option(label="Zed Zimmer")
    search.fill("agent 0")  # another search keeps the choice made
    expect(menu.locator("option", has_text="Agent 05")).to_have_count(1)
    expect(menu).to_have_value(str(zed.pk))
    bulk.get_by_test_id("bulk-submit").click()
    expect(page.get_by_text("1 record was updated.")).to_be_visible()
    other.refresh_from_db()
    assert other.assignee == zed
    assert browser_log.errors == []
