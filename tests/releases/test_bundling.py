"""The changes a release bundles follow it: implementing when its deployment starts, closed with its
outcome when it closes, each timeline saying the release implemented it."""

import pytest
from django.contrib.contenttypes.models import ContentType

from changes import workflow as change_wf
from changes.models import Change
from releases import workflow as wf
from releases.models import Release
from servicedesk.models import TimelineEntry
from servicedesk.records.transitions import record_transition

pytestmark = pytest.mark.django_db


def _approve(release):
    Release.objects.filter(pk=release.pk).update(status=wf.APPROVED)
    release.refresh_from_db()
    return release


def _entries(change):
    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Change), object_id=change.pk
    )


def _timeline_bodies(change) -> list[str]:
    return list(_entries(change).values_list("body", flat=True))


def test_starting_the_deployment_moves_each_change_to_implementing(prepared, release_manager, changes):
    release = _approve(prepared)
    Change.objects.filter(pk=changes[1].pk).update(status=change_wf.SCHEDULED)

    record_transition(record=release, actor=release_manager, to=wf.DEPLOYING)

    for change in changes:
        change.refresh_from_db()
        assert change.status == change_wf.IMPLEMENTING
        assert change.actual_start is not None
        assert f"Implemented by {release.number}." in _timeline_bodies(change)
    first = Change.objects.get(pk=changes[0].pk)
    release.refresh_from_db()
    assert (first.planned_start, first.planned_end) == (release.actual_start, release.planned_end)


def test_a_change_that_conflicts_is_still_scheduled_by_the_release(prepared, release_manager, changes):
    """Both changes touch the same CIs: scheduling the second meets the first; the release's slot was
    checked by the release, so the system goes ahead and records why."""
    release = _approve(prepared)
    changes[1].affected_cis.set(changes[0].affected_cis.all())

    record_transition(record=release, actor=release_manager, to=wf.DEPLOYING)

    overridden = Change.objects.filter(pk__in=[c.pk for c in changes]).exclude(conflict_override_reason="")
    assert {c.status for c in Change.objects.filter(pk__in=[c.pk for c in changes])} == {"implementing"}
    assert overridden.exists()
    assert overridden.first().conflict_override_reason == f"Implemented by {release.number}."


@pytest.mark.parametrize(
    ("outcome", "status", "change_outcome"),
    [
        (Release.Outcome.SUCCESSFUL, wf.DEPLOYED, Change.Outcome.SUCCESSFUL),
        (Release.Outcome.PARTIAL, wf.DEPLOYED, Change.Outcome.PARTIAL),
        (Release.Outcome.FAILED, wf.FAILED, Change.Outcome.FAILED),
        (Release.Outcome.ROLLED_BACK, wf.ROLLED_BACK, Change.Outcome.BACKED_OUT),
    ],
)
def test_closing_the_release_closes_its_changes_with_its_outcome(
    prepared, release_manager, changes, outcome, status, change_outcome
):
    release = _approve(prepared)
    record_transition(record=release, actor=release_manager, to=wf.DEPLOYING)
    Release.objects.filter(pk=release.pk).update(status=status)
    release.refresh_from_db()

    record_transition(
        record=release, actor=release_manager, to=wf.CLOSED, outcome=outcome, notes="Went fine."
    )

    ended = {
        Change.Outcome.SUCCESSFUL: "implemented",
        Change.Outcome.PARTIAL: "implemented",
        Change.Outcome.FAILED: "fail",
        Change.Outcome.BACKED_OUT: "back_out",
    }[change_outcome]
    for change in changes:
        change.refresh_from_db()
        assert change.status == change_wf.CLOSED
        assert change.review_outcome == change_outcome
        assert change.review_lessons.startswith(f"Implemented by {release.number}.")
        assert "Went fine." in change.review_lessons
        assert change.reviewed_by is None
        transitions = _entries(change).filter(kind=TimelineEntry.Kind.TRANSITION)
        assert ended in [entry.data.get("transition") for entry in transitions]


def test_a_change_closed_meanwhile_is_left_alone(prepared, release_manager, changes):
    release = _approve(prepared)
    record_transition(record=release, actor=release_manager, to=wf.DEPLOYING)
    Change.objects.filter(pk=changes[0].pk).update(status=change_wf.CANCELLED)
    Release.objects.filter(pk=release.pk).update(status=wf.DEPLOYED)
    release.refresh_from_db()

    record_transition(record=release, actor=release_manager, to=wf.CLOSED, outcome="successful")

    assert Change.objects.get(pk=changes[0].pk).status == change_wf.CANCELLED
    assert Change.objects.get(pk=changes[1].pk).status == change_wf.CLOSED
