"""Problems: raising, every transition and its guard, who may do what, and their incidents."""

import pytest
from django.core.exceptions import ValidationError

from problems import workflow as wf
from problems.models import Problem
from problems.permissions import ProblemPolicy
from problems.selectors import problem_of_incident
from problems.services import problem_create, problem_link_incident, problem_update
from servicedesk.errors import Conflict, InvalidTransition, PermissionDenied
from servicedesk.models import AuditEvent, TimelineEntry
from servicedesk.records.transitions import record_transition

from ..incidents.factories import IncidentFactory


def entries(record, **filters):
    from django.contrib.contenttypes.models import ContentType

    return TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk, **filters
    )


def test_raising_a_problem_numbers_it_and_links_its_incidents(agent, problem, incident, service):
    assert problem.number.startswith("PRB")
    assert problem.status == wf.NEW
    assert problem.requester == agent
    assert problem.support_group == service.support_group
    assert problem_of_incident(incident) == problem
    assert entries(problem, kind="link").count() == 1
    assert entries(incident, kind="link").count() == 1
    assert AuditEvent.objects.filter(action="problem.created").count() == 1


def test_priority_comes_from_the_matrix(agent):
    problem = problem_create(actor=agent, title="Core switch", impact=1, urgency=1)
    assert problem.priority == 1
    problem = problem_update(record=problem, actor=agent, urgency=3)
    assert problem.priority > 1


def test_requesters_neither_raise_nor_see_problems(requester, problem):
    with pytest.raises(PermissionDenied):
        problem_create(actor=requester, title="Mine")
    assert not ProblemPolicy.visible_to(requester).exists()
    assert not ProblemPolicy.can_see(requester, problem)


def test_an_incident_has_one_problem(agent, incident, problem):
    other = problem_create(actor=agent, title="Another")
    with pytest.raises(Conflict):
        problem_link_incident(actor=agent, problem=other, incident=incident)


def test_a_final_problem_takes_no_more_incidents(agent, problem_manager, problem, requester):
    record_transition(record=problem, actor=problem_manager, to=wf.CANCELLED, reason="No problem after all")
    problem.refresh_from_db()
    with pytest.raises(Conflict):
        problem_link_incident(actor=agent, problem=problem, incident=IncidentFactory(requester=requester))


def test_investigating_takes_the_problem(agent, problem):
    problem = record_transition(record=problem, actor=agent, to=wf.INVESTIGATING)
    assert problem.status == wf.INVESTIGATING
    assert problem.assignee == agent


def test_a_known_error_needs_its_root_cause_and_a_workaround_or_none(agent, problem):
    with pytest.raises(ValidationError) as refused:
        record_transition(record=problem, actor=agent, to=wf.KNOWN_ERROR)
    assert set(refused.value.message_dict) == {"root_cause", "workaround"}
    problem.refresh_from_db()
    assert problem.status == wf.NEW
    with pytest.raises(ValidationError) as refused:
        record_transition(record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause="MTU too large")
    assert set(refused.value.message_dict) == {"workaround"}
    problem = record_transition(
        record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause="MTU too large", no_workaround="true"
    )
    assert (problem.status, problem.root_cause, problem.no_workaround) == (
        wf.KNOWN_ERROR,
        "MTU too large",
        True,
    )


def test_a_known_error_takes_the_root_cause_and_workaround_held(agent, problem):
    problem_update(
        record=problem, actor=agent, root_cause="Idle timeout", workaround="Reconnect with **TCP**."
    )
    problem.refresh_from_db()
    problem = record_transition(record=problem, actor=agent, to=wf.KNOWN_ERROR)
    assert problem.status == wf.KNOWN_ERROR


def test_resolving_needs_the_fix_and_reopening_a_reason(agent, problem):
    record_transition(record=problem, actor=agent, to=wf.INVESTIGATING)
    with pytest.raises(ValidationError):
        record_transition(record=problem, actor=agent, to=wf.RESOLVED)
    problem = record_transition(record=problem, actor=agent, to=wf.RESOLVED, fix="Raised the timeout")
    assert (problem.status, problem.fix) == (wf.RESOLVED, "Raised the timeout")
    assert problem.resolved_at is not None
    with pytest.raises(ValidationError):
        record_transition(record=problem, actor=agent, to=wf.INVESTIGATING)
    problem = record_transition(record=problem, actor=agent, to=wf.INVESTIGATING, reason="Back again")
    assert problem.resolved_at is None


def test_only_problem_managers_close_and_cancel(agent, problem_manager, problem):
    record_transition(record=problem, actor=agent, to=wf.INVESTIGATING)
    record_transition(record=problem, actor=agent, to=wf.RESOLVED, fix="Done")
    with pytest.raises(PermissionDenied):
        record_transition(record=problem, actor=agent, to=wf.CLOSED)
    problem = record_transition(record=problem, actor=problem_manager, to=wf.CLOSED)
    assert problem.status == wf.CLOSED
    assert problem.closed_at is not None
    other = problem_create(actor=agent, title="Other")
    with pytest.raises(PermissionDenied):
        record_transition(record=other, actor=agent, to=wf.CANCELLED, reason="Dup")
    assert (
        record_transition(record=other, actor=problem_manager, to=wf.CANCELLED, reason="Dup").status
        == wf.CANCELLED
    )


@pytest.mark.parametrize(
    ("source", "target"),
    [(wf.NEW, wf.RESOLVED), (wf.NEW, wf.CLOSED), (wf.INVESTIGATING, wf.NEW), (wf.CLOSED, wf.INVESTIGATING)],
)
def test_illegal_transitions_are_refused(problem_manager, problem, source, target):
    Problem.objects.filter(pk=problem.pk).update(status=source)
    problem.refresh_from_db()
    with pytest.raises(InvalidTransition):
        record_transition(record=problem, actor=problem_manager, to=target, fix="x", reason="x")


def test_a_final_problem_is_not_edited(agent, problem_manager, problem):
    record_transition(record=problem, actor=problem_manager, to=wf.CANCELLED, reason="No")
    problem.refresh_from_db()
    with pytest.raises(PermissionDenied):
        problem_update(record=problem, actor=agent, title="New title")


def test_edits_are_field_changes_for_agents_only(agent, problem, service):
    problem_update(
        record=problem, actor=agent, root_cause="DNS", method=Problem.Method.FIVE_WHYS, time_spent_minutes=90
    )
    change = entries(problem, kind="field_change").get()
    assert change.is_public is False
    assert set(change.data["changes"]) == {"root_cause", "method", "time_spent_minutes"}
    with pytest.raises(ValidationError):
        problem_update(record=problem, actor=agent, method="guesswork")
    with pytest.raises(ValidationError):
        problem_update(record=problem, actor=agent, status="closed")
