"""A catalogue request with its own fields, in a real browser (issue 19, item 6): Alice asks for a laptop
(a cost centre too short first, refused on its field), her manager approves, IT procurement then desktop
support mark their tasks done in order, and the request resolves itself; the answers show on the record.
axe-core finds nothing serious on the new pages."""

from playwright.sync_api import expect

from incidents.demo.fulfilment import LAPTOP_FORM
from incidents.models import FulfilmentTask, Incident, RequestType
from servicedesk.roles import AGENT, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory
from tests.incidents.fulfilment import laptop_type


def _mark_done(page, live_server, task_name):
    page.goto(f"{live_server.url}/desk/tasks/")
    row = page.get_by_test_id("task-row").filter(has_text=task_name)
    expect(row).to_have_count(1)
    row.get_by_role("button", name="Mark done").click()
    expect(page.locator(".alert-success[role=status]")).to_contain_text(f"“{task_name}” is done.")


def test_alice_requests_a_laptop_it_is_approved_and_fulfilled_in_order(
    log_in, page, live_server, browser_log, axe_findings
):
    manager = UserFactory(username="mark", full_name="Mark Manager", roles=[REQUESTER])
    alice = UserFactory(username="alice", full_name="Alice Martin", roles=[REQUESTER], manager=manager)
    buyer = UserFactory(username="grace", full_name="Grace Buyer", roles=[AGENT])
    fitter = UserFactory(username="bob", full_name="Bob Fitter", roles=[AGENT])
    desk = SupportGroupFactory(name="Service Desk", members=[buyer, fitter])
    procurement = SupportGroupFactory(name="IT procurement", members=[buyer])
    desktop = SupportGroupFactory(name="Desktop support", members=[fitter])
    service = BusinessServiceFactory(name="Workplace", support_group=desk)
    laptop = laptop_type(
        service, groups=[procurement, desktop], approval=RequestType.Approval.MANAGER, schema=LAPTOP_FORM
    )

    # Alice asks, with a cost centre too short: the form says so on the field and files nothing.
    page = log_in(alice)
    page.get_by_test_id("nav-request").click()
    page.get_by_test_id("request-type").filter(has_text="New laptop").click()
    fields = page.get_by_test_id("request-fields")
    fields.get_by_label("Model").select_option("Developer 16-inch")
    fields.get_by_label("Needed by").fill("2027-01-15")
    fields.get_by_label("Cost centre").fill("CC1")
    fields.get_by_label("For whom", exact=True).select_option(label=f"Alice Martin ({alice.email})")
    fields.get_by_label("Justification").fill("Large spreadsheet models.")
    page.get_by_role("button", name="Send the request").click()
    expect(fields.locator(".invalid-feedback")).to_contain_text("at least 4 characters")
    assert not Incident.objects.filter(requester=alice).exists()

    fields.get_by_label("Cost centre").fill("CC-4100")
    page.get_by_role("button", name="Send the request").click()
    expect(page.locator(".alert-success")).to_contain_text("Your request REQ")
    record = Incident.objects.get(requester=alice)
    assert record.form_data["cost_centre"] == "CC-4100"
    answers = page.get_by_test_id("request-answers")
    expect(answers.get_by_test_id("answer-model")).to_have_text("Developer 16-inch")
    expect(answers.get_by_test_id("answer-for_whom")).to_have_text("Alice Martin")
    assert not FulfilmentTask.objects.filter(record=record).exists()  # it waits for the approval
    assert axe_findings(f"/records/{record.number}/") == []
    assert axe_findings(f"/portal/new/request/{laptop.pk}/") == []

    # Her manager approves: the tasks come, the first one ready for IT procurement.
    page.context.clear_cookies()
    page = log_in(manager)
    page.goto(f"{live_server.url}/approvals/")
    page.get_by_test_id("approval-row").filter(has_text=record.number).get_by_role("link").click()
    page.get_by_test_id("approve").click()
    expect(page.get_by_test_id("approval-title")).to_contain_text("Approved")
    assert [t.status for t in FulfilmentTask.objects.filter(record=record).order_by("position")] == [
        "ready",
        "pending",
    ]

    # IT procurement first; desktop support sees nothing until then.
    page.context.clear_cookies()
    page = log_in(fitter)
    page.goto(f"{live_server.url}/desk/tasks/")
    expect(page.get_by_test_id("no-tasks")).to_be_visible()
    page.context.clear_cookies()
    page = log_in(buyer)
    page.get_by_test_id("nav-tasks").click()
    assert axe_findings("/desk/tasks/") == []
    _mark_done(page, live_server, "Step 1")

    page.context.clear_cookies()
    page = log_in(fitter)
    page.goto(f"{live_server.url}/records/{record.number}/")
    tasks = page.get_by_test_id("record-tasks")
    expect(tasks.get_by_test_id("task-0")).to_have_attribute("data-status", "done")
    expect(tasks.get_by_test_id("task-1")).to_have_attribute("data-status", "ready")
    assert axe_findings(f"/records/{record.number}/") == []
    tasks.get_by_test_id("task-1").get_by_role("button", name="Mark done").click()
    expect(page.locator(".alert-success[role=status]")).to_contain_text("“Step 2” is done.")

    # The request resolved itself; Alice sees it, with her answers.
    record.refresh_from_db()
    assert (record.status, record.resolution_code) == ("resolved", "fulfilled")
    page.context.clear_cookies()
    page = log_in(alice)
    page.goto(f"{live_server.url}/records/{record.number}/")
    expect(page.get_by_test_id("resolved-notice")).to_be_visible()
    expect(page.get_by_test_id("tasks-progress")).to_have_text("2 of 2 done")
    expect(page.get_by_test_id("answer-cost_centre")).to_have_text("CC-4100")
    assert browser_log.errors == []
