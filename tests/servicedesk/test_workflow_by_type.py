"""`WorkflowByType`: one kind, several transition tables, the record's type choosing (changes use it)."""

from types import SimpleNamespace

import pytest

from servicedesk.errors import InvalidTransition
from servicedesk.records.workflow import Transition, Workflow, WorkflowByType


def anyone(record, user):
    return True


def only_boss(record, user):
    return user == "boss"


QUICK = Workflow([Transition("finish", ("open",), "done", "Finish", anyone)])
SLOW = Workflow(
    [
        Transition("check", ("open",), "checked", "Check", anyone),
        Transition("finish", ("checked",), "done", "Finish", only_boss),
    ]
)
TABLES = WorkflowByType({"quick": QUICK, "slow": SLOW}, key="speed")


def _record(speed, status="open"):
    return SimpleNamespace(speed=speed, status=status)


def test_each_record_follows_its_own_table():
    assert [t.name for t in TABLES.available(_record("quick"))] == ["finish"]
    assert [t.name for t in TABLES.available(_record("slow"))] == ["check"]
    assert TABLES.find(_record("quick"), "done", "anyone").name == "finish"


def test_a_move_of_another_table_is_refused_with_the_allowed_ones():
    with pytest.raises(InvalidTransition) as caught:
        TABLES.find(_record("slow"), "done", "anyone")
    assert caught.value.extra["allowed"] == ["checked"]


def test_permissions_come_from_the_record_s_table():
    record = _record("slow", "checked")
    assert TABLES.allowed_targets(record, "anyone") == []
    assert TABLES.allowed_targets(record, "boss") == ["done"]


def test_iterating_gives_every_table_s_transitions_once():
    names = [(t.name, t.sources) for t in TABLES]
    assert names == [("finish", ("open",)), ("check", ("open",)), ("finish", ("checked",))]


def test_a_shared_name_must_lead_to_one_status():
    other = Workflow([Transition("finish", ("open",), "cancelled", "Finish", anyone)])
    with pytest.raises(ValueError, match="two statuses"):
        WorkflowByType({"quick": QUICK, "odd": other}, key="speed")


def test_move_refuses_a_name_the_record_s_table_lacks():
    record = _record("quick")
    with pytest.raises(InvalidTransition):
        TABLES.move(record, "check")
    assert TABLES.table(_record("slow")) is SLOW
