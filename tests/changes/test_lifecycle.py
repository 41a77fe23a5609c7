"""Raising and editing changes: numbering, types, validation and who may."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.services import change_create, change_from_standard, change_update
from servicedesk.errors import PermissionDenied
from servicedesk.models import AuditEvent, Priority

pytestmark = pytest.mark.django_db


def test_a_normal_change_starts_as_a_draft_numbered_chg(change, agent):
    assert change.number.startswith("CHG")
    assert change.change_type == wf.NORMAL
    assert change.status == wf.DRAFT
    assert change.requester == agent
    assert change.priority == Priority.P4
    assert list(change.affected_cis.values_list("name", flat=True)) == ["db-payroll-01"]
    assert AuditEvent.objects.filter(action="change.created", object_id=str(change.pk)).exists()


def test_an_emergency_change_starts_submitted(agent):
    record = change_create(actor=agent, title="Stop the bleeding", change_type=wf.EMERGENCY)
    assert record.status == wf.SUBMITTED


def test_standard_changes_come_only_from_the_catalogue(agent, standard):
    with pytest.raises(ValidationError) as refused:
        change_create(actor=agent, title="Sneaky", change_type=wf.STANDARD)
    assert "change_type" in refused.value.message_dict
    start = timezone.now() + timedelta(days=1)
    record = change_from_standard(actor=agent, standard=standard, planned_start=start)
    assert (record.change_type, record.status) == (wf.STANDARD, wf.SUBMITTED)
    assert record.planned_end == start + timedelta(minutes=30)
    assert record.test_plan == standard.test_plan
    assert record.risk_level == standard.risk_level
    assert list(record.services.all()) == list(standard.services.all())


def test_an_inactive_standard_change_is_not_offered(agent, standard):
    standard.is_active = False
    standard.save()
    with pytest.raises(ValidationError):
        change_from_standard(actor=agent, standard=standard)


def test_requesters_may_not_raise_changes(requester):
    with pytest.raises(PermissionDenied):
        change_create(actor=requester, title="Give me admin")


def test_the_end_must_follow_the_start(agent):
    start = timezone.now() + timedelta(days=2)
    with pytest.raises(ValidationError) as refused:
        change_create(actor=agent, title="Backwards", planned_start=start, planned_end=start)
    assert "planned_end" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        change_create(actor=agent, title="Half", planned_start=start)
    assert "planned_end" in refused.value.message_dict


def test_only_business_services_are_services(agent, server):
    with pytest.raises(ValidationError) as refused:
        change_create(actor=agent, title="Wrong", services=[server])
    assert "services" in refused.value.message_dict


def test_editing_a_planned_change_records_each_field(change, agent):
    record = change_update(record=change, actor=agent, title="Patch payroll DB", test_plan="Run payroll.")
    assert record.title == "Patch payroll DB"
    assert record.version == change.version + 1
    event = AuditEvent.objects.filter(action="change.updated", object_id=str(change.pk)).get()
    assert {"title", "test_plan"} <= set(event.data)


def test_after_approval_only_the_dates_may_change(change, change_manager):
    Change.objects.filter(pk=change.pk).update(status=wf.APPROVED)
    change.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        change_update(record=change, actor=change_manager, test_plan="Something else")
    assert "test_plan" in refused.value.message_dict


def test_the_requester_edits_only_their_draft(change, agent, requester, other_requester):
    with pytest.raises(PermissionDenied):
        change_update(record=change, actor=other_requester, title="Mine now")
