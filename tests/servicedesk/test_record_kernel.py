"""The record kernel on the test-only kind (tests/kernelkind): numbering, the transition engine and its
table, protected status, versioned save, comments, files, timeline reads, policy and events, all by
registration alone; no process app is imported."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from servicedesk.errors import Conflict, InvalidTransition, PermissionDenied, StaleWrite
from servicedesk.kinds import RecordKind, kind_of, parse_number
from servicedesk.models import AuditEvent, OutboxMessage, TimelineEntry
from servicedesk.records.selectors import record_attachments, record_timeline
from servicedesk.records.services import comment_add, files_add, record_lock, record_note_changes, record_save
from servicedesk.records.transitions import SYSTEM, record_transition, transitions_allowed
from servicedesk.records.workflow import Transition, Workflow, nobody
from servicedesk.services.webhooks import webhook_subscription_create
from tests.kernelkind import workflow as wf
from tests.kernelkind.models import Chore
from tests.kernelkind.policy import ChorePolicy
from tests.kernelkind.records import PUBLISHED
from tests.kernelkind.services import chore_create

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def png(name="shot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def entries(record, kind=TimelineEntry.Kind.TRANSITION):
    return TimelineEntry.objects.filter(object_id=record.pk, kind=kind, content_type__model="chore")


# Registration and numbering


def test_the_kind_is_found_by_its_number(chore, worker, requester):
    assert chore.number == "TST0000001"
    assert parse_number("tst1") == (kind_of(chore), "TST0000001")
    assert kind_of(chore).policy is ChorePolicy
    assert chore_create(actor=requester, title="Again").number == "TST0000002"


# The table and what is derived from it


def test_open_statuses_are_the_tables_statuses_but_the_final_ones_unless_the_kind_names_them(
    chore, requester
):
    kind = kind_of(chore)

    assert kind.open_statuses == (wf.OPEN, wf.DOING)
    assert kind.is_open(chore)
    chore = record_transition(record=chore, actor=requester, to=wf.DROPPED, reason="Not needed.")
    assert not kind.is_open(chore)
    named = RecordKind(**{**vars(kind), "prefix": "TSU", "open_statuses": (wf.OPEN,)})
    assert named.open_statuses == (wf.OPEN,)
    unnamed = RecordKind(**{**vars(kind), "prefix": "TSV", "workflow": None, "open_statuses": None})
    assert unnamed.open_statuses == ()


def test_allowed_transitions_come_from_the_table_in_its_shape(chore, worker, requester):
    assert transitions_allowed(record=chore, user=worker) == [
        {"name": "start", "to": wf.DOING, "label": "Start", "requires": [], "accepts": []},
        {"name": "drop", "to": wf.DROPPED, "label": "Drop", "requires": ["reason"], "accepts": ["note"]},
    ]
    assert [t["name"] for t in transitions_allowed(record=chore, user=requester)] == ["drop"]


def test_a_guard_hides_a_transition_and_refuses_it_with_its_reason(chore, worker):
    with pytest.raises(InvalidTransition) as refused:
        record_transition(record=chore, actor=worker, to=wf.DONE, outcome="Done")
    assert str(refused.value.message) == "Check the chore before finishing it."
    assert refused.value.extra["allowed"] == [wf.DOING, wf.DROPPED]
    Chore.objects.filter(pk=chore.pk).update(checked=True)
    chore = Chore.objects.get(pk=chore.pk)
    assert "finish" in [t["name"] for t in transitions_allowed(record=chore, user=worker)]


def test_no_transition_leads_there_is_a_409_listing_the_allowed_targets(chore, worker):
    with pytest.raises(InvalidTransition) as refused:
        record_transition(record=chore, actor=worker, to="nowhere")
    assert refused.value.status_code == 409
    assert refused.value.extra["allowed"] == [wf.DOING, wf.DROPPED]


def test_firing_records_it_once_everywhere(chore, worker):
    before = chore.version
    chore = record_transition(record=chore, actor=worker, to=wf.DOING)
    chore.refresh_from_db()
    assert chore.status == wf.DOING
    assert chore.assignee == worker
    assert chore.version == before + 1
    (entry,) = entries(chore)
    assert entry.data == {
        "from": wf.OPEN,
        "to": wf.DOING,
        "transition": "start",
        "assignee": worker.pk,
        "automatic": False,
    }
    assert entry.is_public
    assert entry.author == worker
    assert AuditEvent.objects.filter(action="chore.start", object_id=str(chore.pk)).exists()
    assert PUBLISHED[-1][:2] == (chore.number, "started")


def test_required_inputs_effect_body_and_after(chore, worker):
    Chore.objects.filter(pk=chore.pk).update(checked=True)
    with pytest.raises(ValidationError) as invalid:
        record_transition(record=chore, actor=worker, to=wf.DONE, outcome="  ")
    assert "outcome" in invalid.value.message_dict
    chore = record_transition(record=chore, actor=worker, to=wf.DONE, outcome=" All watered. ")
    assert chore.outcome == "All watered."
    assert chore.resolved_at is not None
    assert entries(chore).get().body == "All watered."
    assert [(chore.number, wf.DONE)] == wf.AFTER_CALLS


def test_who_may_not_fire_is_refused(chore, worker, requester, other_requester):
    with pytest.raises(PermissionDenied):
        record_transition(record=chore, actor=requester, to=wf.DOING)
    with pytest.raises(Conflict) as refused:  # the transition's own refusal
        record_transition(record=chore, actor=other_requester, to=wf.DROPPED, reason="Not mine")
    assert refused.value.code == "not_yours"
    chore = record_transition(record=chore, actor=requester, to=wf.DROPPED, reason="No plants left")
    assert chore.status == wf.DROPPED
    assert chore.closed_at is not None
    assert entries(chore).get().body == "No plants left"


def test_the_system_fires_without_a_permission_check(chore):
    chore = record_transition(record=chore, actor=SYSTEM, to=wf.DOING)
    assert chore.assignee is None  # the effect knows the system takes nothing on
    assert entries(chore).get().data["automatic"] is True


def test_internal_transitions_are_never_listed_nor_fired_by_target(chore, worker):
    chore = record_transition(record=chore, actor=worker, to=wf.DOING)
    assert wf.OPEN not in [t["to"] for t in transitions_allowed(record=chore, user=worker)]
    with pytest.raises(InvalidTransition):
        record_transition(record=chore, actor=worker, to=wf.OPEN)
    assert wf.WORKFLOW.move(chore, "reset") == (wf.DOING, wf.OPEN)
    with pytest.raises(InvalidTransition):
        wf.WORKFLOW.move(chore, "reset")  # only from doing


def test_a_stale_version_is_refused(chore, worker):
    with pytest.raises(StaleWrite):
        record_transition(record=chore, actor=worker, to=wf.DOING, expected_version=chore.version - 1)
    assert Chore.objects.get(pk=chore.pk).status == wf.OPEN


def test_status_changes_only_through_the_table(chore):
    with pytest.raises(AttributeError):
        chore.status = wf.DONE
    Chore.objects.filter(pk=chore.pk).update(checked=True)
    chore.refresh_from_db()  # reloading may set it
    assert chore.checked


def test_a_table_refuses_two_transitions_of_one_name():
    row = Transition("x", ("a",), "b", "X", nobody)
    with pytest.raises(ValueError, match="share a name"):
        Workflow([row, row])


# Versioned save and field changes


@pytest.mark.django_db(transaction=False)
def test_save_writes_only_the_named_fields_and_moves_the_version(chore, worker):
    from django.db import transaction

    Chore.objects.filter(pk=chore.pk).update(title="Changed elsewhere")
    with transaction.atomic():
        locked = record_lock(chore)
        chore.outcome = "mine"
        record_save(chore, ["outcome"])
    fresh = Chore.objects.get(pk=chore.pk)
    assert fresh.title == "Changed elsewhere"
    assert fresh.outcome == "mine"
    assert fresh.version == locked.version + 1
    record_note_changes(
        record=chore,
        actor=worker,
        action="chore.updated",
        diff={"assignee": {"from": None, "to": worker.pk}},
        before={"assignee": ""},
    )
    change = entries(chore, TimelineEntry.Kind.FIELD_CHANGE).get().data["changes"]["assignee"]
    assert change["from_label"] == ""
    assert change["to_label"] == ""


# Comments, work notes, files, timeline reads


def test_comments_and_work_notes_follow_the_policy(chore, worker, requester, other_requester):
    comment_add(record=chore, actor=requester, body="Which plants?")
    with pytest.raises(PermissionDenied):
        comment_add(record=chore, actor=requester, body="secret", is_public=False)
    with pytest.raises(PermissionDenied):
        comment_add(record=chore, actor=other_requester, body="Not mine")
    with pytest.raises(ValidationError):
        comment_add(record=chore, actor=requester, body="  ")
    comment_add(record=chore, actor=worker, body="Internal: the cactus", is_public=False)
    assert [e.body for e in record_timeline(record=chore, user=requester)] == ["Which plants?"]
    assert [e.body for e in record_timeline(record=chore, user=worker)] == [
        "Which plants?",
        "Internal: the cactus",
    ]
    assert AuditEvent.objects.filter(action="chore.work_noted").count() == 1


def test_a_final_record_takes_no_more_comments(chore, requester):
    chore = record_transition(record=chore, actor=requester, to=wf.DROPPED, reason="Gone")
    with pytest.raises(PermissionDenied):
        comment_add(record=chore, actor=requester, body="Wait")


def test_files_and_who_sees_them(chore, worker, requester):
    files_add(record=chore, actor=requester, uploads=[png("public.png")])
    files_add(record=chore, actor=worker, uploads=[png("internal.png")], is_public=False)
    with pytest.raises(PermissionDenied):
        files_add(record=chore, actor=requester, uploads=[png()], is_public=False)
    with pytest.raises(ValidationError):
        files_add(record=chore, actor=requester, uploads=[])
    assert [a.name for a in record_attachments(record=chore, user=requester)] == ["public.png"]
    assert sorted(a.name for a in record_attachments(record=chore, user=worker)) == [
        "internal.png",
        "public.png",
    ]


# Policy


def test_the_policy_answers_the_generic_questions(chore, worker, requester, other_requester):
    assert ChorePolicy.user_has_permission(worker, "work")
    assert not ChorePolicy.user_has_permission(requester, "work")
    assert ChorePolicy.user_has_permission_for_instance(requester, "view", chore)
    assert not ChorePolicy.user_has_permission_for_instance(other_requester, "view", chore)
    assert ChorePolicy.user_has_permission_for_instance(requester, "comment", chore)
    assert list(ChorePolicy.instances_user_has_permission_for(other_requester, "view")) == []
    assert list(ChorePolicy.instances_user_has_permission_for(worker, "work")) == [chore]
    assert list(ChorePolicy.instances_user_has_permission_for(requester, "work")) == []


def test_an_agent_without_the_kinds_working_right_is_no_agent_of_it(agent):
    assert agent.is_agent
    assert not ChorePolicy.is_agent(agent)


# Events reach integrations


def test_transitions_publish_webhooks_of_the_kind(chore, worker, administrator):
    webhook_subscription_create(
        actor=administrator, name="Chores", url="https://hooks.example.com/chores", events=["chore.started"]
    )
    record_transition(record=chore, actor=worker, to=wf.DOING)
    delivery = OutboxMessage.objects.get(channel=OutboxMessage.Channel.WEBHOOK, event="chore.started")
    assert json.loads(delivery.payload["body"])["record"]["number"] == chore.number


def test_a_service_fires_an_internal_transition_by_name_recorded_as_any_other(chore, worker):
    from servicedesk.records.transitions import transition_fire_named

    chore = record_transition(record=chore, actor=worker, to=wf.DOING)
    with pytest.raises(InvalidTransition):
        transition_fire_named(record=chore, actor=SYSTEM, name="start")
    chore = transition_fire_named(record=chore, actor=SYSTEM, name="reset")
    chore.refresh_from_db()
    assert chore.status == wf.OPEN
    last = list(entries(chore))[-1]
    assert (last.data["transition"], last.data["automatic"]) == ("reset", True)
