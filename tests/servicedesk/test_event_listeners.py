"""Event listeners: a higher app acts on what a lower kind's records publish (a change links the incidents
raised on CIs it is working on), without the lower app importing it. Proved on the test-only chore."""

import pytest

from servicedesk.records import events
from servicedesk.records.transitions import record_transition
from tests.kernelkind import workflow as wf

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    monkeypatch.setattr(events, "_LISTENERS", {})
    calls = []

    def listener(*, record, event, actor, data):
        calls.append((record.number, event, actor, data.get("to")))

    events.register_event_listener("chore", "started", listener)
    events.register_event_listener("chore", "started", listener)  # registering twice calls it once
    return calls


def test_a_listener_hears_its_kind_s_event_after_the_kind_published_it(heard, chore, worker):
    record_transition(record=chore, actor=worker, to=wf.DOING)
    assert heard == [(chore.number, "started", worker, wf.DOING)]


def test_other_events_are_not_heard(heard, chore, worker):
    events.publisher(chore)(record=chore, event="commented", actor=worker, data={})
    assert heard == []


def test_the_system_s_batched_events_are_heard_too(heard, chore):
    events.record_publish_many(events=[(chore, "started", {"to": "doing"})])
    assert heard == [(chore.number, "started", None, "doing")]


def test_a_listener_that_raises_refuses_the_change(monkeypatch, chore, worker):
    monkeypatch.setattr(events, "_LISTENERS", {})

    def refuse(**kwargs):
        raise RuntimeError("no")

    events.register_event_listener("chore", "started", refuse)
    with pytest.raises(RuntimeError):
        record_transition(record=chore, actor=worker, to=wf.DOING)
    chore.refresh_from_db()
    assert chore.status == wf.OPEN
