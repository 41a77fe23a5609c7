"""The change pages under a real person's hands: two tabs editing one change, a new-change form sent
twice, and an emergency implemented before its approval (issue 16)."""

from django.utils import timezone
from playwright.sync_api import expect

from changes import workflow as wf
from changes.models import Change
from changes.services import change_create
from servicedesk.approvals.selectors import approvals_for_record
from servicedesk.roles import AGENT, CAB_MEMBER, CHANGE_MANAGER
from tests.changes.boards import make_board
from tests.cmdb.factories import CIFactory
from tests.factories import SupportGroupFactory, UserFactory

from .test_changes_journey import PLANS, fire, sign_out


def test_two_tabs_edit_one_change_and_the_second_save_loses_nothing(log_in, live_server, browser_log):
    agent = UserFactory(username="amy", full_name="Amy Agent", roles=[AGENT])
    change = change_create(actor=agent, title="Patch the payroll database", **PLANS)
    url = f"{live_server.url}/records/{change.number}/"
    tab_a = log_in(agent)
    tab_b = tab_a.context.new_page()
    for tab in (tab_a, tab_b):
        tab.goto(url)
        tab.get_by_test_id("edit-summary").click()
    form_a, form_b = tab_a.get_by_test_id("edit-form"), tab_b.get_by_test_id("edit-form")

    # B renames it and saves; A, still showing the old title, renames it too and rewrites the test plan.
    form_b.get_by_label("Title").fill("Patch the payroll database engine")
    form_b.get_by_role("button", name="Save").click()
    expect(tab_b.locator(".alert-success")).to_contain_text("The change was saved.")
    form_a.get_by_label("Title").fill("Patch and restart the payroll database")
    form_a.get_by_label("Test plan").fill("Run a test payslip for each pay group.")
    with tab_a.expect_response(lambda answer: answer.request.method == "POST") as sent:
        form_a.get_by_role("button", name="Save").click()
    assert sent.value.status == 412

    # A is shown both titles, and nothing of theirs or of A's is lost.
    expect(tab_a.get_by_test_id("stale-warning")).to_be_visible()
    expect(tab_a.get_by_test_id("theirs-title")).to_have_text("Patch the payroll database engine")
    form_a = tab_a.get_by_test_id("edit-form")
    expect(form_a.get_by_label("Title")).to_have_value("Patch and restart the payroll database")
    expect(form_a.get_by_label("Test plan")).to_have_value("Run a test payslip for each pay group.")
    change.refresh_from_db()
    assert (change.title, change.test_plan) == ("Patch the payroll database engine", PLANS["test_plan"])

    # A keeps their title: both of A's changes are saved over B's.
    form_a.get_by_label("Keep my value (in the field below)").check()
    form_a.get_by_role("button", name="Save").click()
    expect(tab_a.locator(".alert-success")).to_contain_text("The change was saved.")
    change.refresh_from_db()
    assert (change.title, change.test_plan) == (
        "Patch and restart the payroll database",
        "Run a test payslip for each pay group.",
    )
    assert browser_log.errors == []


# Two submissions of the same filled form at once (a double click, a flaky network's retry), through
# the browser's own session and CSRF token: each answers a redirect to the change.
SEND_TWICE = """async (form) => {
  const send = () => fetch(form.action, {method: "POST", body: new FormData(form), redirect: "manual"});
  const answers = await Promise.all([send(), send()]);
  return answers.map((answer) => answer.type === "opaqueredirect" ? 302 : answer.status);
}"""


def test_the_new_change_form_sent_twice_raises_one_change(log_in, live_server, browser_log):
    agent = UserFactory(username="amy", full_name="Amy Agent", roles=[AGENT])
    page = log_in(agent)
    page.goto(f"{live_server.url}/desk/changes/new/")
    form = page.get_by_test_id("change-new-form")
    form.get_by_label("Title").fill("Renew the payroll certificate")
    form.get_by_label("Reason").fill("It expires next month.")

    assert form.evaluate(SEND_TWICE) == [302, 302]
    (change,) = Change.objects.filter(title="Renew the payroll certificate")

    # Sent a third time by its button: the person lands on the change the first sending raised.
    form.get_by_role("button", name="Raise the change").click()
    page.wait_for_url(f"{live_server.url}/records/{change.number}/")
    expect(page.get_by_test_id("record-number")).to_have_text(change.number)
    expect(page.locator(".alert-info").first).to_contain_text("This form was sent already")
    assert Change.objects.filter(title="Renew the payroll certificate").count() == 1
    assert browser_log.errors == []


def test_an_emergency_implemented_now_is_flagged_until_the_ecab_approves_it(log_in, live_server, browser_log):
    agent = UserFactory(username="amy", full_name="Amy Agent", roles=[AGENT])
    erin = UserFactory(username="erin", full_name="Erin Manager", roles=[AGENT, CHANGE_MANAGER])
    frank = UserFactory(username="frank", full_name="Frank Cab", roles=[AGENT, CAB_MEMBER])
    make_board("Emergency CAB", [frank], emergency=True)
    SupportGroupFactory(name="Database team", members=[agent])
    server = CIFactory(name="db-payroll-01", status="in_production")

    # An agent raises an emergency: it is submitted at once.
    page = log_in(agent)
    page.goto(f"{live_server.url}/desk/changes/new/")
    form = page.get_by_test_id("change-new-form")
    form.get_by_label("Emergency").check()
    form.get_by_label("Title").fill("Stop the payroll database filling its disk")
    form.locator('select[name="affected_cis"]').select_option(value=str(server.pk))
    form.get_by_label("Implementation plan").fill("Move the old logs to the archive volume.")
    form.get_by_label("Test plan").fill("Check the free space.")
    form.get_by_label("Back-out plan").fill("Move the logs back.")
    form.get_by_role("button", name="Raise the change").click()
    change = Change.objects.get(title="Stop the payroll database filling its disk")
    page.wait_for_url(f"{live_server.url}/records/{change.number}/")
    expect(page.get_by_test_id("change-type")).to_have_attribute("data-type", wf.EMERGENCY)
    assert change.status == wf.SUBMITTED
    sign_out(page)

    # The change manager implements it now: it is flagged, awaiting its approval after the fact.
    page = log_in(erin)
    page.goto(f"{live_server.url}/records/{change.number}/")
    before = timezone.now()
    fire(page, "implement_now", **{"Why?": "The disk is 98 % full; payroll runs tonight."})
    expect(page.locator(".alert-success")).to_contain_text("The change is now implementing.")
    flag = page.get_by_test_id("retro-approval")
    expect(flag).to_have_attribute("data-state", Change.RetroApproval.PENDING)
    expect(flag).to_contain_text("Awaiting approval after the fact")
    change.refresh_from_db()
    assert change.status == wf.IMPLEMENTING
    assert change.retro_approval_due_at > before
    expect(page.get_by_test_id("maintenance-cis")).to_contain_text("db-payroll-01")
    sign_out(page)

    # The emergency CAB (its member and the change manager: a majority of two is both) finds it on the
    # agenda, flagged, and approves it: the flag becomes a note.
    (approval,) = approvals_for_record(record=change)
    assert {a.username for a in approval.approvers.all()} == {"frank", "erin"}
    for approver in (frank, erin):
        page = log_in(approver)
        page.goto(f"{live_server.url}/desk/changes/agenda/")
        item = page.locator(f'[data-testid="agenda-item"][data-number="{change.number}"]')
        expect(item.get_by_test_id("retro-approval")).to_contain_text("Awaiting approval after the fact")
        item.get_by_test_id("agenda-approve").click()
        expect(page.locator(".alert-success")).to_contain_text(
            f"Your decision on {change.number} was recorded."
        )
        if approver == frank:
            change.refresh_from_db()
            assert change.retro_approval == Change.RetroApproval.PENDING
            sign_out(page)
    page.goto(f"{live_server.url}/records/{change.number}/")
    expect(page.get_by_test_id("retro-approval")).to_have_attribute(
        "data-state", Change.RetroApproval.APPROVED
    )
    change.refresh_from_db()
    assert (change.status, change.retro_approval) == (wf.IMPLEMENTING, Change.RetroApproval.APPROVED)
    assert browser_log.errors == []
