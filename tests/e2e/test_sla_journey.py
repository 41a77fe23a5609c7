"""Issue 6 acceptance: a 2-minute response SLA set on a service turns a portal incident amber, then red in the
queue; the sweep, run by a real worker, e-mails the group manager once and moves the record to the escalation
group once, with the events on its timeline.

Time moves with time-machine (the live server and the worker are threads of this process, so they move too);
the browser only renders what the server says.
"""

import re
import time
from datetime import timedelta

import time_machine
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from servicedesk.models import BusinessCalendar, EscalationRule, SLAFiring, SLAPolicy, SLATarget
from servicedesk.roles import AGENT, GROUP_MANAGER, REQUESTER
from servicedesk.sla.calendars import calendar_set_hours
from servicedesk.tasks import sla_sweep_task
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def _wait_for(condition, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.1)
    return condition()


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


def _stopwatch_service():
    """A service whose own policy gives every priority a 2-minute response, escalating at 100 %."""
    calendar = calendar_set_hours(
        calendar=BusinessCalendar.objects.create(name="Round the clock", time_zone="UTC"),
        actor=None,
        weekly={day: [(0, 1440)] for day in range(7)},
    )
    policy = SLAPolicy.objects.create(
        name="Stopwatch", calendar=calendar, services_only=True, warning_percents=[50]
    )
    for priority in range(1, 6):
        SLATarget.objects.create(
            policy=policy, metric="response", priority=priority, target=timedelta(minutes=2)
        )
    EscalationRule.objects.create(
        policy=policy,
        metric="response",
        percent=100,
        notify_group_manager=True,
        reassign_to_escalation_group=True,
    )
    return policy


def test_a_two_minute_response_turns_amber_then_red_and_escalates_once(
    log_in, live_server, browser_log, celery_worker, settings, tmp_path
):
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"
    base = live_server.url
    manager = UserFactory(full_name="Carol Manager", email="carol@example.com", roles=[AGENT, GROUP_MANAGER])
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT])
    second = SupportGroupFactory(name="Second line", tier="tier2", members=[manager])
    desk = SupportGroupFactory(name="Service desk", manager=manager, members=[agent], escalation_group=second)
    BusinessServiceFactory(name="Stopwatch service", support_group=desk, sla_policy=_stopwatch_service())
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    start = timezone.now()

    # The requester reports a problem in the portal.
    page = log_in(requester)
    page.get_by_test_id("portal-report").click()
    form = page.get_by_test_id("incident-form")
    form.get_by_label("What is wrong?").fill("The stopwatch stopped")
    form.get_by_label("Description").fill("The hands do not move.")
    form.get_by_label("Which service is affected?", exact=True).select_option(label="Stopwatch service")
    form.get_by_label("I cannot work").check()
    form.get_by_role("button", name="Send").click()
    record = Incident.objects.get(title="The stopwatch stopped")
    expect(page).to_have_url(f"{base}/records/{record.number}/")
    _sign_out(page)

    # The agent sees it green in the group queue.
    log_in(agent)
    queue = f"{base}/desk/queue/?view=open"
    page.goto(queue)
    badge = page.get_by_test_id("queue-row").filter(has_text=record.number).get_by_test_id("sla-badge")
    expect(badge).to_have_attribute("data-sla-level", "ok")

    # A minute later it is amber; the sweep warns the desk (the record is unassigned).
    with time_machine.travel(start + timedelta(seconds=70), tick=True):
        page.reload()
        expect(badge).to_have_attribute("data-sla-level", "warning")
        sla_sweep_task.delay()
        assert _wait_for(lambda: SLAFiring.objects.filter(threshold="warning:50").exists())

    # Two minutes after filing it is red, and the worker's sweep escalates it.
    with time_machine.travel(start + timedelta(seconds=130), tick=True):
        page.reload()
        expect(badge).to_have_attribute("data-sla-level", "breached")
        expect(badge).to_contain_text("overdue")
        sla_sweep_task.delay()
        assert _wait_for(lambda: Incident.objects.get(pk=record.pk).support_group_id == second.pk)
        assert _wait_for(lambda: any("escalated" in m.subject.lower() for m in mail.outbox))
        # Later sweeps fire nothing again.
        sla_sweep_task.delay()
        sla_sweep_task.delay()
        time.sleep(2)

        escalations = [m for m in mail.outbox if "escalated" in m.subject.lower()]
        assert [m.to for m in escalations] == [["carol@example.com"]]
        assert SLAFiring.objects.filter(threshold__startswith="rule:").count() == 1
        record.refresh_from_db()
        assert record.support_group == second
        assert record.assignee is None

        # The timeline tells the story.
        page.goto(f"{base}/records/{record.number}/")
        timeline = page.get_by_test_id("timeline")
        expect(timeline).to_contain_text("Response SLA warning at 50 %")
        expect(timeline).to_contain_text("Response SLA breached")
        expect(timeline).to_contain_text("Escalated at 100 % of the response target")
        expect(timeline).to_contain_text("Second line")
    assert browser_log.errors == []
    assert browser_log.foreign_requests(base) == []
