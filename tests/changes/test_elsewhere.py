"""Changes carried out elsewhere: started and finished by the system for a carrier that is only a name."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes.models import Change
from changes.services import change_create
from changes.services.elsewhere import change_finish_elsewhere, change_start_elsewhere
from servicedesk.errors import Conflict
from servicedesk.models import TimelineEntry
from servicedesk.records.transitions import record_transition

from .conftest import wf

pytestmark = pytest.mark.django_db


def _approved(change, **fields):
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED, **fields)
    change.refresh_from_db()
    return change


def test_an_approved_change_without_a_slot_is_scheduled_in_the_carriers_and_started(change):
    change = _approved(change)
    start = timezone.now() + timedelta(hours=2)

    started = change_start_elsewhere(
        record=change, by="PRJ-7", planned_start=start, planned_end=start + timedelta(hours=3)
    )

    assert started.status == wf.IMPLEMENTING
    assert started.planned_start == start
    bodies = list(
        TimelineEntry.objects.filter(object_id=change.pk, kind=TimelineEntry.Kind.TRANSITION).values_list(
            "body", flat=True
        )
    )
    assert bodies == ["Implemented by PRJ-7.", "Implemented by PRJ-7."]


def test_the_system_schedules_despite_conflicts_and_records_why(change, agent, server):
    start = timezone.now() + timedelta(hours=2)
    end = start + timedelta(hours=2)
    other = change_create(actor=agent, title="Another patch", affected_cis=[server])
    Change.objects.filter(pk=other.pk).update(status=wf.SCHEDULED, planned_start=start, planned_end=end)
    change = _approved(change, planned_start=start, planned_end=end)
    with pytest.raises(Conflict):  # by hand, the same slot is refused
        record_transition(record=change, actor=None, to=wf.SCHEDULED)

    started = change_start_elsewhere(record=Change.objects.get(pk=change.pk), by="PRJ-7")

    assert started.status == wf.IMPLEMENTING
    assert started.conflict_override_reason == "Implemented by PRJ-7."
    assert started.conflict_override_by is None


def test_a_change_in_another_status_is_not_started(change):
    assert change_start_elsewhere(record=change, by="PRJ-7").status == wf.DRAFT


@pytest.mark.parametrize(
    ("outcome", "ended"),
    [
        ("successful", "implemented"),
        ("partial", "implemented"),
        ("failed", "fail"),
        ("backed_out", "back_out"),
    ],
)
def test_finishing_ends_reviews_and_closes_as_the_system(change, outcome, ended):
    change = change_start_elsewhere(record=_approved(change), by="PRJ-7", planned_start=timezone.now())

    closed = change_finish_elsewhere(record=change, by="PRJ-7", outcome=outcome, lessons="Learnt.")

    assert closed.status == wf.CLOSED
    assert closed.review_outcome == outcome
    assert closed.review_lessons == "Learnt."
    assert closed.reviewed_by is None
    names = TimelineEntry.objects.filter(object_id=change.pk, kind=TimelineEntry.Kind.TRANSITION)
    assert ended in [entry.data["transition"] for entry in names]


def test_a_change_that_failed_on_its_own_is_reviewed_as_failed(change):
    change = change_start_elsewhere(record=_approved(change), by="PRJ-7", planned_start=timezone.now())
    change = record_transition(record=change, actor=None, to=wf.FAILED, reason="Disk full.")

    closed = change_finish_elsewhere(record=change, by="PRJ-7", outcome="successful")

    assert closed.status == wf.CLOSED
    assert closed.review_outcome == "failed"
    assert closed.review_lessons == "Implemented by PRJ-7."


def test_an_unknown_outcome_is_refused(change):
    with pytest.raises(ValidationError):
        change_finish_elsewhere(record=change, by="PRJ-7", outcome="great")
