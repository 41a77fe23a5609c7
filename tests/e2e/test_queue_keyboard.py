"""An agent works the queue by keyboard in a real browser (issue 19, item 1): sorts by SLA due, moves with
j/k, reads the help with ?, assigns a record to themself with a, sees a requester's reply marked after
the list refreshes itself (keeping the current row and the ticked ones), and opens the record with o."""

import os
import re
from datetime import timedelta
from pathlib import Path

from django.utils import timezone
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident
from servicedesk.roles import AGENT, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "queue.png"
QUEUE = "/desk/queue/?view=open"


def _desk():
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT])
    colleague = UserFactory(full_name="Bob Builder", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[agent, colleague])
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    other = UserFactory(full_name="Sam Sales", roles=[REQUESTER])
    mail = BusinessServiceFactory(name="E-mail", support_group=desk)
    vpn = BusinessServiceFactory(name="VPN", support_group=desk)
    now = timezone.now()
    filed = {}
    for title, who, service, urgency, due in [
        ("Outlook does not start", requester, mail, 1, 40),
        ("VPN drops every hour", other, vpn, 2, 90),
        ("Shared mailbox is missing", requester, mail, 3, 300),
        ("Calendar invites arrive late", other, mail, 3, None),
    ]:
        record = services.incident_create(
            actor=who, title=title, description="Since this morning.", service=service, urgency=urgency
        )
        sla_due_at = None if due is None else now + timedelta(minutes=due)
        Incident.objects.filter(pk=record.pk).update(sla_due_at=sla_due_at)
        filed[title] = record
    services.incident_assign(
        record=filed["Calendar invites arrive late"], actor=colleague, assignee=colleague
    )
    return agent, requester, filed


def test_an_agent_works_the_queue_by_keyboard(log_in, live_server, settings, browser_log, axe_findings):
    settings.ITSM_QUEUE_REFRESH_SECONDS = 2
    agent, requester, filed = _desk()
    outlook, vpn, mailbox = (
        filed["Outlook does not start"],
        filed["VPN drops every hour"],
        filed["Shared mailbox is missing"],
    )
    page = log_in(agent)
    page.goto(f"{live_server.url}{QUEUE}&sort=-number")
    rows = page.get_by_test_id("queue-row")
    expect(rows).to_have_count(4)
    expect(page.get_by_test_id("tab-count-open")).to_have_text("4")
    expect(page.get_by_test_id("tab-count-mine")).to_have_text("0")

    # Sort by SLA due: the most urgent first, the record without a clock last.
    page.get_by_test_id("sort-sla").click()
    page.wait_for_url(re.compile(r"sort=sla"))
    expect(page.locator("th[data-column='sla']")).to_have_attribute("aria-sort", "ascending")
    order = [outlook.number, vpn.number, mailbox.number, filed["Calendar invites arrive late"].number]
    expect(rows).to_have_count(4)
    assert [rows.nth(index).get_attribute("data-number") for index in range(4)] == order

    # ? shows the shortcuts; Esc closes them.
    page.keyboard.press("?")
    help_dialog = page.get_by_test_id("queue-help")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("heading")).to_have_text("Keyboard shortcuts")
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    # j, j, k: the first row is current (and focused); a assigns it to me.
    current = page.locator("tr.queue-current")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(current).to_have_attribute("data-number", vpn.number)
    page.keyboard.press("k")
    expect(current).to_have_attribute("data-number", outlook.number)
    expect(current).to_be_focused()
    page.keyboard.press("a")
    expect(page.get_by_test_id("queue-flash")).to_contain_text(f"{outlook.number} is assigned to you")
    row = page.locator(f"tr[data-number='{outlook.number}']")
    expect(row.get_by_test_id("queue-assignee")).to_have_text("Ada Agent")
    expect(page.get_by_test_id("tab-count-mine")).to_have_text("1")
    outlook.refresh_from_db()
    assert outlook.assignee == agent
    expect(current).to_have_attribute("data-number", outlook.number)

    # Tick the third row (x), move to the second; the requester replies meanwhile.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("k")
    expect(current).to_have_attribute("data-number", vpn.number)
    services.incident_comment(record=mailbox, actor=requester, body="Any news? The team needs it today.")

    # The list refreshes itself: the reply is marked, the current row and the tick are kept.
    marked = page.locator(f"tr[data-number='{mailbox.number}']").get_by_test_id("unread-marker")
    expect(marked).to_be_visible(timeout=10_000)
    expect(current).to_have_attribute("data-number", vpn.number)
    expect(current).to_be_focused()
    expect(page.locator(f"#select-{mailbox.pk}")).to_be_checked()
    expect(page.locator(f"#select-{outlook.pk}")).not_to_be_checked()

    if os.environ.get("ITSM_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        # caret="initial": Playwright would otherwise hide the caret with a style the page's CSP refuses.
        page.screenshot(path=str(SCREENSHOT), full_page=False, caret="initial")

    # o opens the current record; coming back, the reply it read is no longer marked.
    page.keyboard.press("j")
    expect(current).to_have_attribute("data-number", mailbox.number)
    page.keyboard.press("o")
    page.wait_for_url(f"{live_server.url}/records/{mailbox.number}/")
    expect(page.get_by_text("Any news? The team needs it today.")).to_be_visible()
    page.goto(f"{live_server.url}{QUEUE}&sort=sla")
    expect(page.get_by_test_id("queue-row")).to_have_count(4)
    expect(page.get_by_test_id("unread-marker")).to_have_count(0)

    # c opens the record at its comment box, ready to type.
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(f"{live_server.url}/records/{outlook.number}/#comment")
    expect(page.locator("[data-comment-box] textarea")).to_be_focused()

    assert axe_findings(f"{QUEUE}&sort=sla") == []
    assert browser_log.errors == []
