"""Change management from end to end, in a real browser (issue 16's acceptance journey).

An agent raises a normal change on the Payroll database server, planned in the year-end freeze and at the
same time as a scheduled change on the application server that depends on it. The change manager assesses
it: its page shows Payroll (with its owner) in the impact, and both conflicts, the dependency and the
freeze; they move it to a free Saturday night inside Payroll's maintenance window and the conflicts go.
At the CAB a high-risk change, where every approver is required, is rejected by one member's "no"; the
rescheduled one (high too) is approved on the agenda once all four approvers have said yes, and not before.
The manager schedules it, the implementer starts it (the server goes into maintenance) and finishes it, the
review is recorded and the manager closes it; the schedule lists it, and so does the manager's calendar
feed, made from the schedule's page.
"""

import re
from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from changes import workflow as wf
from changes.models import Change, RiskQuestion, StandardChange
from changes.services import change_create, change_from_standard
from changes.services.assessment import change_assess
from changes.services.windows import blackout_window_save, maintenance_window_save
from cmdb.models import ConfigurationItem
from servicedesk.approvals.selectors import approvals_for_record
from servicedesk.models import ApprovalRequest
from servicedesk.records.transitions import record_transition
from servicedesk.roles import AGENT, CAB_MEMBER, CHANGE_MANAGER
from tests.changes.boards import make_board
from tests.cmdb.factories import CIFactory, CIRelationshipFactory, relationship_type
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory

SATURDAY = 5
WINDOW_START = time(22, 0)  # Payroll's maintenance window: Saturdays 22:00 for six hours (UTC)
PLANS = {
    "implementation_plan": "1. Stop Payroll. 2. Apply the patch. 3. Start Payroll.",
    "test_plan": "Log in and run a test payslip.",
    "backout_plan": "Restore the snapshot taken before the patch.",
}
# The questions a "yes" makes the questionnaire's score high (7 of the 13 weights): with one service hit,
# the risk is high, which every CAB member, the service's owner and the change manager approve.
HIGH_SCORE = (
    "Will users lose the service while it is done?",
    "Is it untried: not rehearsed in a test environment first?",
    "Does it depend on a vendor or another team on the day?",
)
DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def saturday_slots(after: datetime):
    """Saturday nights 22:00-00:00 UTC in Payroll's window, the first starting a day after `after`."""
    day = (after + timedelta(days=1)).date()
    day += timedelta(days=(SATURDAY - day.weekday()) % 7)
    while True:
        start = datetime.combine(day, WINDOW_START, tzinfo=UTC)
        if start >= after + timedelta(days=1):
            yield start, start + timedelta(hours=2)
        day += timedelta(days=7)


def year_end_and_slots(now: datetime):
    """The next year-end freeze (20 December to 3 January) with a Saturday night inside it still ahead,
    that Saturday night, and a free one: before the freeze when there is one, else after it."""
    for year in (now.year - 1, now.year, now.year + 1):
        starts, ends = datetime(year, 12, 20, tzinfo=UTC), datetime(year + 1, 1, 4, tzinfo=UTC)
        inside = next(
            (slot for slot in saturday_slots(max(now, starts - timedelta(days=1))) if slot[0] >= starts),
        )
        if inside[1] > ends:
            continue
        before = next(saturday_slots(now))
        free = before if before[1] <= starts else next(saturday_slots(ends))
        return (starts, ends), inside, free
    raise AssertionError("no year-end freeze ahead")  # pragma: no cover


def local_input(moment: datetime) -> str:
    """A moment as a datetime-local field takes it (the people here work in UTC, the site's zone)."""
    return moment.astimezone(UTC).strftime(DATETIME_INPUT)


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


def fire(page, transition: str, **inputs):
    """Press a transition's button on the change's page (opening its small form first when it has one,
    filling `inputs` by label)."""
    move = page.locator(f'[data-testid="transition"][data-transition="{transition}"]')
    summary = move.locator("summary")
    if summary.count():
        summary.click()
    for label, value in inputs.items():
        move.get_by_label(label).fill(value)
    move.get_by_role("button").last.click()


def high_answers() -> dict[int, bool]:
    return {q.pk: q.text in HIGH_SCORE for q in RiskQuestion.objects.filter(is_active=True)}


def test_a_normal_change_from_its_request_to_its_close(log_in, live_server, browser_log, axe_findings):
    now = timezone.now()
    (freeze_start, freeze_end), in_freeze, free = year_end_and_slots(now)

    # The desk: a Payroll service that depends on its database server, and an application server that
    # depends on it too; the people; Payroll's Saturday-night window and the year-end freeze.
    amy = UserFactory(username="amy", full_name="Amy Agent", roles=[AGENT])
    erin = UserFactory(username="erin", full_name="Erin Manager", roles=[AGENT, CHANGE_MANAGER])
    olga = UserFactory(username="olga", full_name="Olga Owner", roles=[AGENT])
    ivan = UserFactory(username="ivan", full_name="Ivan Implementer", roles=[AGENT])
    cab = [
        UserFactory(username=f"cab{n}", full_name=f"Cab Member {n}", roles=[AGENT, CAB_MEMBER])
        for n in (1, 2)
    ]
    make_board("Change Advisory Board", cab)
    dba = SupportGroupFactory(name="Database team", members=[ivan, amy])
    payroll = BusinessServiceFactory(name="Payroll", owner=olga, support_group=dba)
    server = CIFactory(name="db-payroll-01", status="in_production")
    app = CIFactory(name="app-payroll-01", status="in_production")
    CIRelationshipFactory(source=payroll, target=server, type=relationship_type("depends_on"))
    CIRelationshipFactory(source=app, target=server, type=relationship_type("depends_on"))
    maintenance_window_save(
        actor=erin, service=payroll, name="Payroll: Saturday night", weekdays=[SATURDAY],
        start_time=WINDOW_START, duration_minutes=6 * 60, time_zone="UTC",
    )  # fmt: skip
    blackout_window_save(
        actor=erin, name="Year-end freeze", reason="Finance closes the year.", starts_at=freeze_start,
        ends_at=freeze_end,
    )  # fmt: skip

    # Already scheduled in that slot: a standard change on the application server (let through the
    # freeze by the manager, with a reason).
    restart = StandardChange.objects.create(
        name="Restart the payroll application", support_group=dba, duration_minutes=120, **PLANS
    )
    other = change_from_standard(actor=ivan, standard=restart, affected_cis=[app], planned_start=in_freeze[0])
    other = record_transition(
        record=other, actor=erin, to=wf.SCHEDULED, override_reason="Year-end run needs a fresh start."
    )

    # And awaiting the CAB: a high-risk change of Olga's service that a CAB member will reject.
    doomed = change_create(
        actor=amy, title="Move the payroll database to new storage", services=[payroll],
        affected_cis=[server], planned_start=free[0] + timedelta(days=7),
        planned_end=free[1] + timedelta(days=7), assignee=erin, **PLANS,
    )  # fmt: skip
    doomed = record_transition(record=doomed, actor=amy, to=wf.SUBMITTED)
    doomed = record_transition(record=doomed, actor=erin, to=wf.ASSESSMENT)
    doomed = change_assess(record=doomed, actor=erin, answers=high_answers())
    doomed = record_transition(record=doomed, actor=erin, to=wf.AWAITING_APPROVAL)
    assert doomed.risk_level == "high"

    # An agent raises the change through the new-change form, and submits it.
    page = log_in(amy)
    page.goto(f"{live_server.url}/desk/changes/new/")
    form = page.get_by_test_id("change-new-form")
    form.get_by_label("Normal").check()
    form.get_by_label("Title").fill("Patch the payroll database")
    form.get_by_label("Reason").fill("Security fix for the database engine.")
    form.locator('select[name="services"]').select_option(label="Payroll")
    form.locator('select[name="affected_cis"]').select_option(value=str(server.pk))
    form.get_by_label("Planned start").fill(local_input(in_freeze[0]))
    form.get_by_label("Planned end").fill(local_input(in_freeze[1]))
    form.get_by_label("Implementation plan").fill(PLANS["implementation_plan"])
    form.get_by_label("Test plan").fill(PLANS["test_plan"])
    form.get_by_label("Back-out plan").fill(PLANS["backout_plan"])
    form.get_by_label("Implementer group").select_option(label="Database team")
    form.get_by_role("button", name="Raise the change").click()
    change = Change.objects.get(title="Patch the payroll database")
    page.wait_for_url(f"{live_server.url}/records/{change.number}/")
    expect(page.locator(".alert-success")).to_contain_text(f"{change.number} was raised.")
    assert (change.status, change.change_type, change.requester) == (wf.DRAFT, wf.NORMAL, amy)
    assert (change.planned_start, change.planned_end) == in_freeze
    fire(page, "submit")
    expect(page.locator(".alert-success")).to_contain_text("The change is now submitted.")
    sign_out(page)

    # The change manager starts the assessment and answers the questionnaire.
    page = log_in(erin)
    page.goto(f"{live_server.url}/records/{change.number}/")
    fire(page, "assess")
    expect(page.locator(".alert-success")).to_contain_text("The change is now assessment.")
    assess = page.get_by_test_id("assess-form")
    for question in RiskQuestion.objects.filter(is_active=True):
        answer = "Yes" if question.text in HIGH_SCORE else "No"
        assess.get_by_role("group", name=question.text).get_by_label(answer, exact=True).check()
    assess.get_by_test_id("assess").click()
    expect(page.locator(".alert-success")).to_contain_text("The risk was assessed.")
    change.refresh_from_db()
    assert (change.status, change.risk_level, change.assignee) == (wf.ASSESSMENT, "high", erin)

    # ... its page shows Payroll with its owner in the impact, the high risk and both conflicts.
    panel = page.get_by_test_id("assessment-panel")
    impacted = panel.locator(f'[data-testid="impact-service"][data-ci="{payroll.pk}"]')
    expect(impacted).to_contain_text("Payroll")
    expect(impacted.get_by_test_id("impact-owner")).to_have_text("owner Olga Owner")
    expect(panel.get_by_test_id("risk-level")).to_have_attribute("data-risk", "high")
    conflicts = page.get_by_test_id("change-conflicts")
    expect(conflicts).to_have_attribute("data-count", "2")
    dependency = conflicts.locator('[data-testid="change-conflict"][data-kind="dependency"]')
    expect(dependency).to_contain_text(other.number)
    expect(dependency).to_contain_text("app-payroll-01")
    expect(conflicts.locator('[data-testid="change-conflict"][data-kind="blackout"]')).to_contain_text(
        "Year-end freeze"
    )

    assert axe_findings(f"/records/{change.number}/") == []  # with its questionnaire and conflicts

    # ... moves it to a free Saturday night, inside Payroll's window: no conflict is left.
    page.get_by_test_id("edit-summary").click()
    edit = page.get_by_test_id("edit-form")
    edit.get_by_label("Planned start").fill(local_input(free[0]))
    edit.get_by_label("Planned end").fill(local_input(free[1]))
    edit.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("The change was saved.")
    expect(page.get_by_test_id("change-conflicts")).to_have_attribute("data-count", "0")
    change.refresh_from_db()
    assert (change.planned_start, change.planned_end) == free

    # ... and sends it to the CAB: the approvers are the board, the service's owner and the manager.
    fire(page, "request_approval")
    expect(page.locator(".alert-success")).to_contain_text("The change is now awaiting approval.")
    (approval,) = approvals_for_record(record=change)
    assert {a.username for a in approval.approvers.all()} == {"cab1", "cab2", "olga", "erin"}
    assert approval.rule == "all"
    sign_out(page)

    # At the CAB: a member rejects the other high-risk change (everyone is required: it is rejected), and
    # approves ours; it waits for the others.
    page = log_in(cab[0])
    page.goto(f"{live_server.url}/desk/changes/agenda/")
    item = page.locator(f'[data-testid="agenda-item"][data-number="{doomed.number}"]')
    item.get_by_label("Comment").fill("Not before the storage has been load-tested.")
    item.get_by_test_id("agenda-reject").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Your decision on {doomed.number} was recorded.")
    doomed.refresh_from_db()
    assert doomed.status == wf.REJECTED
    expect(page.locator(f'[data-testid="agenda-item"][data-number="{doomed.number}"]')).to_have_count(0)
    ours = page.locator(f'[data-testid="agenda-item"][data-number="{change.number}"]')
    expect(ours.get_by_test_id("agenda-conflict")).to_have_count(0)
    expect(ours.get_by_test_id("impact-service")).to_contain_text("Payroll")
    ours.get_by_test_id("agenda-approve").click()
    expect(page.locator(".alert-success")).to_contain_text(f"Your decision on {change.number} was recorded.")
    sign_out(page)
    for approver in (cab[1], olga):
        page = log_in(approver)
        page.goto(f"{live_server.url}/desk/changes/agenda/")
        page.locator(f'[data-testid="agenda-item"][data-number="{change.number}"]').get_by_test_id(
            "agenda-approve"
        ).click()
        expect(page.locator(".alert-success")).to_contain_text(f"Your decision on {change.number}")
        sign_out(page)
    change.refresh_from_db()
    assert change.status == wf.AWAITING_APPROVAL  # three of four: "all" is not reached yet

    # The change manager approves last: approved; and schedules it (no conflict, so no reason asked).
    page = log_in(erin)
    page.goto(f"{live_server.url}/desk/changes/agenda/")
    page.locator(f'[data-testid="agenda-item"][data-number="{change.number}"]').get_by_test_id(
        "agenda-approve"
    ).click()
    expect(page.locator(".alert-success")).to_contain_text(f"Your decision on {change.number}")
    change.refresh_from_db()
    approval.refresh_from_db()
    assert (change.status, approval.status) == (wf.APPROVED, ApprovalRequest.Status.APPROVED)
    page.goto(f"{live_server.url}/records/{change.number}/")
    fire(page, "schedule")
    expect(page.locator(".alert-success")).to_contain_text("The change is now scheduled.")
    change.refresh_from_db()
    assert change.status == wf.SCHEDULED
    assert not change.conflict_override_reason
    sign_out(page)

    # The implementer starts it (the server goes into maintenance) and marks it implemented.
    page = log_in(ivan)
    page.goto(f"{live_server.url}/records/{change.number}/")
    fire(page, "start")
    expect(page.locator(".alert-success")).to_contain_text("The change is now implementing.")
    expect(page.get_by_test_id("maintenance-cis")).to_contain_text("db-payroll-01")
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_maintenance"
    fire(page, "implemented")
    expect(page.locator(".alert-success")).to_contain_text("The change is now review.")
    assert ConfigurationItem.objects.get(pk=server.pk).status == "in_production"
    sign_out(page)

    # The manager records the review and closes the change.
    page = log_in(erin)
    page.goto(f"{live_server.url}/records/{change.number}/")
    review = page.get_by_test_id("review-form")
    review.get_by_label("Successful", exact=True).check()
    review.get_by_label("Lessons learned").fill("Patch the replica first next time.")
    review.get_by_role("button", name="Record the review").click()
    expect(page.locator(".alert-success")).to_contain_text("The review was recorded.")
    expect(page.get_by_test_id("review-outcome")).to_have_attribute("data-outcome", "successful")
    fire(page, "close")
    expect(page.locator(".alert-success")).to_contain_text("The change is now closed.")
    change.refresh_from_db()
    assert (change.status, change.review_outcome) == (wf.CLOSED, "successful")
    assert change.review_lessons == "Patch the replica first next time."

    # The schedule lists it in its slot; the calendar feed made from the schedule's page has its event.
    page.goto(f"{live_server.url}/desk/changes/schedule/?view=list&date={free[0].date().isoformat()}")
    row = page.locator(f'[data-testid="schedule-change"][data-number="{change.number}"]')
    expect(row).to_contain_text("Patch the payroll database")
    expect(row).to_contain_text("Closed")
    page.get_by_test_id("feed-renew").click()
    expect(page.locator(".alert-success")).to_contain_text("Your calendar feed has a new address")
    feed_url = page.get_by_test_id("feed-url").input_value()
    assert feed_url.startswith(f"{live_server.url}/feeds/changes/")
    answer = page.request.get(feed_url)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    events = answer.text().split("BEGIN:VEVENT")[1:]
    ours = next(event for event in events if f"UID:{change.number}@" in event)
    assert f"SUMMARY:{change.number} Patch the payroll database" in ours
    assert f"DTSTART:{free[0].strftime('%Y%m%dT%H%M%SZ')}" in ours
    assert f"DTEND:{free[1].strftime('%Y%m%dT%H%M%SZ')}" in ours

    # The pages of the journey read well to assistive technology too.
    for path in ("/desk/changes/agenda/", "/desk/changes/schedule/?view=week"):
        assert axe_findings(path) == []
    assert browser_log.errors == []
