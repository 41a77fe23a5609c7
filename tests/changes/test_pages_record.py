"""The change's record page: who sees what, editing (with the merge and its 412), transitions with their
inputs, comments, and the implementation and review flows through the page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.services import change_from_standard, change_update
from cmdb.models import ConfigurationItem
from servicedesk import roles
from servicedesk.models import TimelineEntry

from ..factories import UserFactory
from ..formdata import form_data

pytestmark = pytest.mark.django_db


def page(record):
    return reverse("record", args=[record.number])


def url(name, record):
    return reverse(f"changes:{name}", args=[record.number])


def scheduled(change, *, hours=1):
    """The change approved and on the calendar (the CAB and the conflicts are other modules' business)."""
    start = timezone.now() + timedelta(hours=hours)
    Change.objects.filter(pk=change.pk).update(
        status=wf.SCHEDULED, planned_start=start, planned_end=start + timedelta(hours=2), risk_level="low"
    )
    return Change.objects.get(pk=change.pk)


# Who sees what


def test_agents_and_cab_members_see_the_whole_page(client, change, agent, cab_members, change_manager):
    for person in (agent, cab_members[0], change_manager):
        client.force_login(person)
        response = client.get(page(change))
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="transitions-panel"' in body
        assert 'data-testid="implementation-panel"' in body
        assert "Restore last night&#x27;s snapshot." in body


def test_a_requester_sees_only_a_change_they_requested_read_only(client, change, requester, other_requester):
    client.force_login(other_requester)
    assert client.get(page(change)).status_code == 404
    assert client.post(url("comment", change), {"body": "Hi", "visibility": "public"}).status_code == 404
    Change.objects.filter(pk=change.pk).update(requester=requester)
    client.force_login(requester)
    response = client.get(page(change))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="read-only"' in body
    for hidden in ("edit-form", "transitions-panel", "implementation-panel", "link-form"):
        assert f'data-testid="{hidden}"' not in body, hidden
    assert client.post(url("edit", change), {"title": "Mine"}).status_code == 403
    assert client.post(url("transition", change), {"transition": "submit"}).status_code == 409
    change.refresh_from_db()
    assert (change.title, change.status) == ("Patch the payroll database", wf.DRAFT)


def test_a_requester_comments_publicly_but_writes_no_work_note(client, change, requester):
    Change.objects.filter(pk=change.pk).update(requester=requester)
    client.force_login(requester)
    assert client.post(url("comment", change), {"body": "Secret", "visibility": "note"}).status_code == 403
    response = client.post(url("comment", change), {"body": "When is it done?", "visibility": "public"})
    assert response.status_code == 302
    entry = TimelineEntry.objects.get(body="When is it done?")
    assert entry.is_public


def test_the_page_reads_a_bounded_number_of_queries(client, agent, change, django_assert_max_num_queries):
    client.force_login(agent)
    change_update(record=change, actor=agent, test_plan="Run payroll.")
    client.get(page(change))
    with django_assert_max_num_queries(60) as few:
        assert client.get(page(change)).status_code == 200
    for index in range(10):
        change_update(record=Change.objects.get(pk=change.pk), actor=agent, test_plan=f"Run payroll {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(page(change)).status_code == 200


# Editing


def test_editing_saves_the_plans_and_times(client, agent, change):
    client.force_login(agent)
    data = form_data(client.get(page(change)).content, "edit-form")
    data.update(
        test_plan="Run a payslip for Alice.", planned_start="2030-05-01T20:00", planned_end="2030-05-01T22:00"
    )
    response = client.post(url("edit", change), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    change.refresh_from_db()
    assert change.test_plan == "Run a payslip for Alice."
    assert change.planned_end - change.planned_start == timedelta(hours=2)


def test_an_edit_over_someone_elses_change_of_the_same_field_is_412_with_both_values(client, agent, change):
    client.force_login(agent)
    data = form_data(client.get(page(change)).content, "edit-form")
    other_tab = dict(data)
    other_tab["backout_plan"] = "Theirs: fail over to the replica."
    assert client.post(url("edit", change), other_tab).status_code == 302
    data["backout_plan"] = "Mine: restore the snapshot."
    response = client.post(url("edit", change), data)
    assert response.status_code == 412
    body = response.content.decode()
    assert 'data-testid="stale-warning"' in body
    assert 'data-testid="theirs-backout_plan"' in body
    assert "Theirs: fail over to the replica." in body
    assert "Mine: restore the snapshot." in body
    change.refresh_from_db()
    assert change.backout_plan == "Theirs: fail over to the replica."


def test_an_edit_of_another_field_meanwhile_is_merged(client, agent, change):
    client.force_login(agent)
    data = form_data(client.get(page(change)).content, "edit-form")
    change_update(record=change, actor=agent, reason="Theirs")
    data["test_plan"] = "Mine"
    assert client.post(url("edit", change), data).status_code == 302
    change.refresh_from_db()
    assert (change.reason, change.test_plan) == ("Theirs", "Mine")


def test_after_approval_only_the_times_are_editable(client, change_manager, change):
    record = scheduled(change)
    client.force_login(change_manager)
    body = client.get(page(record)).content.decode()
    data = form_data(body, "edit-form")
    assert re.search(r'<textarea name="test_plan"[^>]* disabled', body)
    assert not re.search(r'<input type="datetime-local" name="planned_start"[^>]* disabled', body)
    assert "override_reason" in data


def test_an_invalid_edit_is_400_with_the_field_error(client, agent, change):
    client.force_login(agent)
    data = form_data(client.get(page(change)).content, "edit-form")
    data.update(planned_start="2030-05-01T20:00", planned_end="2030-05-01T19:00")
    response = client.post(url("edit", change), data)
    assert response.status_code == 400
    assert "The planned end must be after the planned start." in response.content.decode()


# Transitions


def test_the_draft_is_submitted_then_assessed_from_the_page(client, agent, change_manager, change):
    client.force_login(agent)
    body = client.get(page(change)).content.decode()
    assert 'data-transition="submit"' in body
    assert 'data-transition="assess"' not in body
    response = client.post(url("transition", change), {"transition": "submit", "version": change.version})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == wf.SUBMITTED
    client.force_login(change_manager)
    client.post(url("transition", change), {"transition": "assess", "version": change.version})
    change.refresh_from_db()
    assert (change.status, change.assignee) == (wf.ASSESSMENT, change_manager)


def test_a_move_not_open_now_is_409_and_a_stale_one_412(client, agent, change):
    client.force_login(agent)
    assert client.post(url("transition", change), {"transition": "start"}).status_code == 409
    stale = change.version
    change_update(record=change, actor=agent, reason="Moved on")
    response = client.post(url("transition", change), {"transition": "submit", "version": stale})
    assert response.status_code == 412
    change.refresh_from_db()
    assert change.status == wf.DRAFT


def test_cancelling_needs_its_reason(client, agent, standard):
    change = change_from_standard(actor=agent, standard=standard)
    client.force_login(agent)
    response = client.post(url("transition", change), {"transition": "cancel", "version": change.version})
    assert response.status_code == 400
    change.refresh_from_db()
    assert change.status == wf.SUBMITTED
    response = client.post(
        url("transition", change),
        {"transition": "cancel", "version": change.version, "cancel-reason": "Not needed after all"},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == wf.CANCELLED


def test_scheduling_offers_the_override_reason(client, change_manager, change):
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED)
    client.force_login(change_manager)
    body = client.get(page(change)).content.decode()
    assert 'name="schedule-override_reason"' in body


# Implementation and review through the page


def test_implementation_puts_the_cis_in_maintenance_and_the_review_closes_it(
    client, agent, change_manager, change, server
):
    record = scheduled(change)
    client.force_login(agent)
    body = client.get(page(record)).content.decode()
    assert 'name="start-maintenance"' in body
    response = client.post(
        url("transition", record),
        {"transition": "start", "version": record.version, "start-maintenance": "on"},
    )
    assert response.status_code == 302
    server.refresh_from_db()
    assert server.status == "in_maintenance"
    body = client.get(page(record)).content.decode()
    assert 'data-testid="maintenance-cis"' in body
    assert "db-payroll-01" in body
    record.refresh_from_db()
    assert record.actual_start is not None

    client.post(url("transition", record), {"transition": "implemented", "version": record.version})
    record.refresh_from_db()
    server.refresh_from_db()
    assert (record.status, server.status) == (wf.REVIEW, "in_production")
    assert record.actual_end is not None

    client.force_login(change_manager)
    response = client.post(url("transition", record), {"transition": "close", "version": record.version})
    assert response.status_code == 409
    record.refresh_from_db()
    assert record.status == wf.REVIEW
    data = form_data(client.get(page(record)).content, "review-form")
    data.update(outcome="successful", lessons="Patch on Tuesdays.")
    assert client.post(url("review", record), data).status_code == 302
    record.refresh_from_db()
    assert (record.review_outcome, record.reviewed_by) == ("successful", change_manager)
    response = client.post(url("transition", record), {"transition": "close", "version": record.version})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == wf.CLOSED


def test_starting_without_maintenance_leaves_the_cis_alone(client, agent, change, server):
    record = scheduled(change)
    client.force_login(agent)
    client.post(url("transition", record), {"transition": "start", "version": record.version})
    server.refresh_from_db()
    assert server.status == "in_production"


def test_the_review_suggests_the_incidents_raised_in_the_window(client, agent, change, server, requester):
    from incidents.services import incident_create

    record = scheduled(change)
    client.force_login(agent)
    client.post(url("transition", record), {"transition": "start", "version": record.version})
    incident = incident_create(
        actor=agent, requester=requester, title="Payroll is down", affected_cis=[server]
    )
    record.refresh_from_db()
    client.post(
        url("transition", record),
        {"transition": "fail", "version": record.version, "fail-reason": "Broke it"},
    )
    record.refresh_from_db()
    assert record.status == wf.FAILED
    body = client.get(page(record)).content.decode()
    assert f'data-number="{incident.number}"' in body  # linked as possibly caused
    data = form_data(body, "review-form")
    assert 'name="caused"' in body
    data.update(outcome="successful", caused=[str(incident.pk)])
    response = client.post(url("review", record), data)
    assert response.status_code == 400
    assert "This change failed." in response.content.decode()
    data["outcome"] = "failed"
    assert client.post(url("review", record), data).status_code == 302
    record.refresh_from_db()
    assert record.review_outcome == "failed"


def test_a_stale_review_is_412(client, agent, change):
    record = scheduled(change)
    Change.objects.filter(pk=record.pk).update(status=wf.REVIEW, actual_start=timezone.now())
    record.refresh_from_db()
    client.force_login(agent)
    data = form_data(client.get(page(record)).content, "review-form")
    Change.objects.filter(pk=record.pk).update(version=record.version + 1)
    data["outcome"] = "successful"
    assert client.post(url("review", record), data).status_code == 412


def test_a_review_before_implementation_is_refused(client, agent, change):
    client.force_login(agent)
    assert 'data-testid="review-form"' not in client.get(page(change)).content.decode()
    response = client.post(url("review", change), {"version": change.version, "outcome": "successful"})
    assert response.status_code == 409
    change.refresh_from_db()
    assert change.review_outcome == ""


def test_a_ci_put_in_maintenance_is_listed_even_when_renamed(client, agent, change, server):
    record = scheduled(change)
    client.force_login(agent)
    client.post(
        url("transition", record),
        {"transition": "start", "version": record.version, "start-maintenance": "on"},
    )
    ConfigurationItem.objects.filter(pk=server.pk).update(name="db-payroll-renamed")
    assert "db-payroll-renamed" in client.get(page(record)).content.decode()


def test_a_cab_member_without_working_rights_fires_nothing(client, change, organisation):
    watcher = UserFactory(username="cabwatch", roles=[roles.CAB_MEMBER], organisation=organisation)
    client.force_login(watcher)
    body = client.get(page(change)).content.decode()
    assert 'data-testid="transition"' not in body
    assert 'data-testid="edit-form"' not in body
    assert client.post(url("transition", change), {"transition": "submit"}).status_code == 409
