"""The release's record page: what it shows, and its actions (edit, changes, checklist, transitions,
comments) with their refusals; the change's page showing its release."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from releases import workflow as wf
from releases.models import Release
from releases.selectors import release_changes
from servicedesk.models import TimelineEntry

from ..formdata import form_data
from .conftest import approved_change

pytestmark = pytest.mark.django_db


def page(record):
    return reverse("record", args=[record.number])


def url(name, record):
    return reverse(f"releases:{name}", args=[record.number])


def found(body: str, testid: str, attr: str = "data-number") -> list[str]:
    return re.findall(rf'data-testid="{testid}" {attr}="([^"]+)"', body)


def test_the_page_shows_the_release_its_changes_targets_checklist_and_transitions(
    client, release_manager, release, changes, service, app_servers
):
    client.force_login(release_manager)
    response = client.get(page(release))
    body = response.content.decode()

    assert response.status_code == 200
    assert 'data-testid="release-version">2.0<' in body
    assert 'data-type="minor"' in body
    assert 'data-status="planning"' in body
    assert found(body, "release-change") == [c.number for c in changes]
    assert "Web shop" in body
    assert all(ci.name in body for ci in app_servers)
    assert found(body, "checklist-item", "data-code") == ["tests_passed", "backout_plan", "communication"]
    assert found(body, "transition", "data-transition") == ["build", "cancel"]
    assert 'data-testid="change-add-form"' in body
    assert 'data-testid="edit-form"' in body


def test_the_page_runs_a_constant_number_of_queries(
    client, release_manager, release, agent, app_servers, django_assert_max_num_queries
):
    client.force_login(release_manager)
    client.get(page(release))
    connection.queries_log.clear()  # a full log (its length is capped) would miscount
    with django_assert_max_num_queries(120) as few:
        client.get(page(release))
    baseline = len(few.captured_queries)
    for n in range(3):
        client.post(url("changes_add", release), {"changes": approved_change(agent, f"More {n}", []).number})
        client.post(url("comment", release), {"body": f"Note {n}", "visibility": "note"})
    connection.queries_log.clear()
    with django_assert_max_num_queries(baseline):
        response = client.get(page(release))
    assert len(found(response.content.decode(), "release-change")) == 5


def test_the_requester_who_raised_it_reads_it_without_the_workspace(client, release, requester):
    Release.objects.filter(pk=release.pk).update(requester=requester)
    client.force_login(requester)
    body = client.get(page(release)).content.decode()
    assert 'data-testid="read-only"' in body
    assert 'data-testid="transitions-panel"' not in body
    assert 'data-testid="change-add-form"' not in body
    assert client.post(url("changes_add", release), {"changes": "CHG1"}).status_code == 403


# Edit


def test_editing_saves_what_changed(client, release_manager, release):
    client.force_login(release_manager)
    data = form_data(client.get(page(release)).content, "edit-form")
    data.update(title="Web shop summer release", release_version="2.1")

    response = client.post(url("edit", release), data)

    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.title, release.release_version) == ("Web shop summer release", "2.1")


def test_an_edit_over_someone_elses_is_a_412_showing_both(client, release_manager, release):
    from releases.services.lifecycle import release_update

    client.force_login(release_manager)
    data = form_data(client.get(page(release)).content, "edit-form")
    release_update(record=release, actor=release_manager, release_version="3.0")
    data.update(release_version="2.5")

    response = client.post(url("edit", release), data)

    assert response.status_code == 412
    release.refresh_from_db()
    assert release.release_version == "3.0"


def test_an_edit_with_the_end_before_the_start_is_a_400(client, release_manager, release):
    client.force_login(release_manager)
    data = form_data(client.get(page(release)).content, "edit-form")
    data.update(planned_start="2030-03-01T09:00", planned_end="2030-03-01T08:00")
    assert client.post(url("edit", release), data).status_code == 400


def test_who_may_not_edit_is_refused_403(client, release, organisation):
    from servicedesk import roles

    from ..factories import UserFactory

    reader = UserFactory(username="cab", roles=[roles.CAB_MEMBER], organisation=organisation)
    client.force_login(reader)
    assert client.post(url("edit", release), {"version": release.version, "title": "x"}).status_code == 403


# The changes it bundles


def test_changes_are_added_and_taken_out_while_prepared(client, release_manager, release, agent, changes):
    third = approved_change(agent, "Third", [])
    client.force_login(release_manager)

    assert client.post(url("changes_add", release), {"changes": third.number}).status_code == 302
    assert third in release_changes(release)
    assert client.post(url("changes_remove", release), {"changes": changes[0].number}).status_code == 302
    assert list(release_changes(release)) == [changes[1], third]


def test_a_change_that_is_not_approved_is_a_409_and_nothing_is_added(client, release_manager, release, agent):
    from changes.services import change_create

    ok = approved_change(agent, "Fine", [])
    draft = change_create(actor=agent, title="Draft")
    client.force_login(release_manager)

    response = client.post(url("changes_add", release), {"changes": f"{ok.number} {draft.number}"})

    assert response.status_code == 409
    assert 'data-testid="record-error"' in response.content.decode()
    assert ok not in release_changes(release)


def test_past_testing_the_changes_are_fixed_403(client, release_manager, prepared, agent):
    Release.objects.filter(pk=prepared.pk).update(status=wf.GO_NO_GO)
    client.force_login(release_manager)
    body = client.get(page(prepared)).content.decode()
    assert 'data-testid="change-add-form"' not in body
    third = approved_change(agent, "Late", [])
    assert client.post(url("changes_add", prepared), {"changes": third.number}).status_code == 403


# The checklist


def test_the_test_lead_records_the_tests_passed(client, test_lead, release):
    Release.objects.filter(pk=release.pk).update(status=wf.TESTING)
    release.refresh_from_db()
    client.force_login(test_lead)
    data = form_data(client.get(page(release)).content, "checklist-form")
    data.update(tests_passed="on", test_summary="All 400 tests green.")

    response = client.post(url("checklist", release), data)

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.tests_passed_by == test_lead
    body = client.get(page(release)).content.decode()
    assert 'data-testid="checklist-event"' in body
    assert "the tests passed" in body


def test_the_checklist_refusals(client, test_lead, release_manager, agent, release):
    Release.objects.filter(pk=release.pk).update(status=wf.TESTING)
    release.refresh_from_db()
    client.force_login(release_manager)
    without_summary = {"version": release.version, "tests_passed": "on", "test_summary": ""}
    assert client.post(url("checklist", release), without_summary).status_code == 400
    stale = {"version": release.version - 1, "communication_sent": "on", "communication_note": "Mailed."}
    assert client.post(url("checklist", release), stale).status_code == 412
    client.force_login(agent)
    body = client.get(page(release)).content.decode()
    assert 'data-testid="checklist-form"' not in body
    ok = {"version": release.version, "communication_sent": "on", "communication_note": "Mailed."}
    assert client.post(url("checklist", release), ok).status_code == 403
    release.refresh_from_db()
    assert release.communication_sent_at is None


# Transitions


def test_a_transition_moves_the_release(client, release_manager, release):
    client.force_login(release_manager)
    data = form_data(client.get(page(release)).content, "build", attr="data-transition")

    response = client.post(url("transition", release), data)

    assert response.status_code == 302
    release.refresh_from_db()
    assert release.status == wf.BUILDING


def test_transition_refusals(client, release_manager, release):
    client.force_login(release_manager)
    assert client.post(url("transition", release), {"transition": "deploy"}).status_code == 409
    stale = {"transition": "build", "version": release.version - 1}
    assert client.post(url("transition", release), stale).status_code == 412
    assert client.post(url("transition", release), {"transition": "cancel"}).status_code == 400
    release.refresh_from_db()
    assert release.status == wf.PLANNING


def test_asking_for_the_go_no_go_with_the_checklist_incomplete_is_a_400(client, release_manager, release):
    Release.objects.filter(pk=release.pk).update(status=wf.TESTING)
    release.refresh_from_db()
    client.force_login(release_manager)
    response = client.post(
        url("transition", release), {"transition": "request_go", "version": release.version}
    )
    assert response.status_code == 400
    release.refresh_from_db()
    assert release.status == wf.TESTING


def test_closing_asks_the_outcome(client, release_manager, release, changes):
    Release.objects.filter(pk=release.pk).update(status=wf.DEPLOYED)
    release.refresh_from_db()
    client.force_login(release_manager)
    body = client.get(page(release)).content.decode()
    assert 'name="close-outcome"' in body
    assert client.post(url("transition", release), {"transition": "close"}).status_code == 400

    response = client.post(
        url("transition", release),
        {"transition": "close", "close-outcome": "successful", "close-notes": "Smooth."},
    )

    assert response.status_code == 302
    release.refresh_from_db()
    assert (release.status, release.outcome, release.outcome_notes) == (wf.CLOSED, "successful", "Smooth.")


def test_a_work_note_is_added(client, release_manager, release):
    client.force_login(release_manager)
    response = client.post(url("comment", release), {"body": "Build at 9.", "visibility": "note"})
    assert response.status_code == 302
    assert TimelineEntry.objects.filter(body="Build at 9.").exists()


# The release's own timeline entries


def test_wave_entries_read_with_their_wave(client, release_manager, release):
    from servicedesk.services.timeline import timeline_add

    for event, status in (("wave_started", "running"), ("wave_finished", "failed")):
        timeline_add(
            record=release, kind=TimelineEntry.Kind.SYSTEM, author=None, is_public=False,
            data={"event": event, "wave": 1, "wave_name": "Pilot in Lyon", "wave_status": status,
                  "wave_status_label": "Failed" if status == "failed" else "Running"},
        )  # fmt: skip
    client.force_login(release_manager)
    body = client.get(page(release)).content.decode()
    assert "Wave “Pilot in Lyon” started." in body
    assert "Wave “Pilot in Lyon” finished: Failed." in body


# The change's page shows its release


def test_the_change_page_shows_the_release_that_implements_it(client, release_manager, release, changes):
    client.force_login(release_manager)
    body = client.get(page(changes[0])).content.decode()
    assert 'data-link="release_change"' in body
    assert f'data-number="{release.number}"' in body
    assert "Implemented by the release" in body


@pytest.mark.parametrize("status", wf.STATUSES)
def test_the_page_draws_in_every_status(client, release_manager, prepared, status):
    Release.objects.filter(pk=prepared.pk).update(
        status=status, rollback_extent="partial" if status == wf.ROLLED_BACK else ""
    )
    client.force_login(release_manager)
    response = client.get(page(prepared))
    assert response.status_code == 200
    assert f'data-status="{status}"' in response.content.decode()
