"""Changes seen from problems and incidents: "resolve via change" from a problem's page, and an incident
on hold waiting for a change, named from its page and resumed when the change is implemented."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes import workflow as wf
from changes.links import CHANGE_AWAITED, CHANGE_PROBLEMS
from changes.models import Change
from incidents import workflow as incident_wf
from incidents.models import Incident
from incidents.services import incident_create, incident_transition
from problems.services import problem_create
from servicedesk.models import RecordLink

from ..formdata import form_data

pytestmark = pytest.mark.django_db


def page(record):
    return reverse("record", args=[record.number])


@pytest.fixture
def problem(agent, service, server):
    return problem_create(
        actor=agent, title="Payroll database locks up", service=service, affected_cis=[server],
        description="Payslips time out at month end.",
    )  # fmt: skip


@pytest.fixture
def waiting(agent, requester, service, server):
    """An incident in progress, put on hold waiting for a change."""
    incident = incident_create(actor=agent, requester=requester, title="Payslips fail", service=service)
    incident = incident_transition(record=incident, actor=agent, to=incident_wf.ASSIGNED, assignee=agent)
    incident = incident_transition(record=incident, actor=agent, to=incident_wf.IN_PROGRESS)
    return incident_transition(record=incident, actor=agent, to=incident_wf.ON_HOLD, hold_reason="change")


# Resolve via change


def test_the_problem_page_offers_resolve_via_change_until_it_is_resolved(client, agent, problem):
    from problems import workflow as problem_wf
    from servicedesk.records.transitions import record_transition

    client.force_login(agent)
    body = client.get(page(problem)).content.decode()
    assert f'href="{reverse("changes:new")}?problem={problem.number}"' in body
    problem = record_transition(record=problem, actor=agent, to=problem_wf.INVESTIGATING)
    record_transition(record=problem, actor=agent, to=problem_wf.RESOLVED, fix="Replaced the disk")
    assert 'data-testid="resolve-via-change"' not in client.get(page(problem)).content.decode()


def test_resolve_via_change_prefills_and_links_the_problem(client, agent, problem, service, server):
    client.force_login(agent)
    response = client.get(reverse("changes:new"), {"problem": problem.number})
    body = response.content.decode()
    assert 'data-testid="from-problem"' in body
    data = form_data(body, "change-new-form")
    assert data["problem"] == problem.number
    assert data["title"].startswith(f"Remove the cause of {problem.number}")
    assert data["services"] == str(service.pk) or data["services"] == [str(service.pk)]
    response = client.post(reverse("changes:new"), data)
    record = Change.objects.get(title__startswith="Remove the cause")
    assert response["Location"] == page(record)
    assert list(record.affected_cis.all()) == [server]
    assert RecordLink.objects.filter(
        link_type=CHANGE_PROBLEMS, source_id=record.pk, target_id=problem.pk
    ).exists()
    body = client.get(page(problem)).content.decode()
    assert record.number in body  # the problem's links panel shows the change that fixes it


def test_an_unknown_problem_number_is_ignored(client, agent):
    client.force_login(agent)
    response = client.get(reverse("changes:new"), {"problem": "PRB9999999"})
    assert response.status_code == 200
    assert 'data-testid="from-problem"' not in response.content.decode()


# Incidents waiting for a change


def test_an_incident_waiting_for_a_change_asks_for_it_and_links_it(client, agent, waiting, change):
    client.force_login(agent)
    body = client.get(page(waiting)).content.decode()
    assert 'data-testid="name-the-change"' in body
    data = form_data(body, "awaited-change-form")
    data["number"] = change.number
    response = client.post(reverse("record_link", args=[waiting.number]), data)
    assert response.status_code == 302
    assert RecordLink.objects.filter(
        link_type=CHANGE_AWAITED, source_id=change.pk, target_id=waiting.pk
    ).exists()
    body = client.get(page(waiting)).content.decode()
    assert 'data-testid="awaited-change"' in body
    assert f'data-link="{CHANGE_AWAITED}" data-number="{change.number}"' in body
    assert 'data-testid="name-the-change"' not in body


def test_an_incident_not_waiting_shows_no_change_panel(client, agent, requester):
    incident = incident_create(actor=agent, requester=requester, title="Nothing to do with changes")
    client.force_login(agent)
    assert 'data-testid="incident-changes-panel"' not in client.get(page(incident)).content.decode()


def test_the_waiting_incident_resumes_when_the_change_is_implemented_through_the_pages(
    client, agent, waiting, change
):
    client.force_login(agent)
    client.post(
        reverse("record_link", args=[waiting.number]),
        {"link": f"incoming:{CHANGE_AWAITED}", "number": change.number},
    )
    start = timezone.now() + timedelta(hours=1)
    Change.objects.filter(pk=change.pk).update(
        status=wf.SCHEDULED, planned_start=start, planned_end=start + timedelta(hours=1)
    )
    change.refresh_from_db()
    body = client.get(page(change)).content.decode()
    assert (
        f'data-number="{waiting.number}"'
        in body.split('data-testid="waiting-incidents"')[1].split("</dd>")[0]
    )
    transition = reverse("changes:transition", args=[change.number])
    client.post(transition, {"transition": "start", "version": change.version})
    waiting.refresh_from_db()
    assert waiting.status == incident_wf.ON_HOLD  # still waiting while the change runs
    change.refresh_from_db()
    client.post(transition, {"transition": "implemented", "version": change.version})
    waiting = Incident.objects.get(pk=waiting.pk)
    assert (waiting.status, waiting.hold_reason) == (incident_wf.IN_PROGRESS, "")


def test_a_failed_change_leaves_the_incident_waiting(client, agent, waiting, change):
    client.force_login(agent)
    client.post(
        reverse("record_link", args=[waiting.number]),
        {"link": f"incoming:{CHANGE_AWAITED}", "number": change.number},
    )
    Change.objects.filter(pk=change.pk).update(status=wf.IMPLEMENTING, actual_start=timezone.now())
    change.refresh_from_db()
    client.post(
        reverse("changes:transition", args=[change.number]),
        {"transition": "fail", "version": change.version, "fail-reason": "Patch would not apply"},
    )
    waiting.refresh_from_db()
    assert waiting.status == incident_wf.ON_HOLD
