import pytest
from django.core.exceptions import ValidationError

from incidents import services
from incidents import workflow as wf
from servicedesk.models import PriorityRule
from servicedesk.services.priority import DEFAULT_MATRIX, priority_for

from .helpers import drive_to

# DESIGN.md §4, spelled out: impact (1 enterprise, 2 department, 3 user) x urgency (1 high .. 3 low).
DESIGN_MATRIX = [
    (1, 1, 1), (1, 2, 2), (1, 3, 3),
    (2, 1, 2), (2, 2, 3), (2, 3, 4),
    (3, 1, 3), (3, 2, 4), (3, 3, 5),
]  # fmt: skip


def test_the_desk_starts_with_the_designs_nine_cells(db):
    cells = {(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()}
    assert cells == {(i, u): p for i, u, p in DESIGN_MATRIX}
    assert cells == DEFAULT_MATRIX


@pytest.mark.parametrize(("impact", "urgency", "priority"), DESIGN_MATRIX)
def test_each_default_cell_gives_its_priority(db, impact, urgency, priority):
    assert priority_for(impact=impact, urgency=urgency) == priority


@pytest.mark.parametrize(("impact", "urgency", "priority"), DESIGN_MATRIX)
def test_missing_cell_falls_back_to_the_default(db, impact, urgency, priority):
    PriorityRule.objects.filter(impact=impact, urgency=urgency).delete()
    assert priority_for(impact=impact, urgency=urgency) == priority


def test_empty_matrix_falls_back_to_the_default_everywhere(db):
    PriorityRule.objects.all().delete()
    assert {(i, u): priority_for(impact=i, urgency=u) for i, u, _p in DESIGN_MATRIX} == DEFAULT_MATRIX


@pytest.mark.parametrize(("impact", "urgency", "priority"), DESIGN_MATRIX)
def test_records_take_the_default_cells(agent, service, impact, urgency, priority):
    record = services.incident_create(actor=agent, title="x", service=service, impact=impact, urgency=urgency)
    assert record.priority == priority


def _edit_cell(*, impact, urgency, priority):
    """As the admin edits a cell: a save, which tells every process to read the matrix again."""
    rule = PriorityRule.objects.get(impact=impact, urgency=urgency)
    rule.priority = priority
    rule.save()


def test_edited_cell_changes_new_records_priority(agent, service):
    before = services.incident_create(actor=agent, title="before", service=service, impact=3, urgency=3)
    _edit_cell(impact=3, urgency=3, priority=2)
    after = services.incident_create(actor=agent, title="after", service=service, impact=3, urgency=3)
    before.refresh_from_db()
    assert (before.priority, after.priority) == (5, 2)


def test_edited_cell_applies_when_impact_or_urgency_changes(agent, incident):
    _edit_cell(impact=2, urgency=2, priority=1)
    record = services.incident_update(record=incident, actor=agent, impact=2, urgency=2)
    assert record.priority == 1


def test_other_edits_keep_the_priority_even_if_the_matrix_moved(agent, incident):
    _edit_cell(impact=incident.impact, urgency=incident.urgency, priority=1)
    record = services.incident_update(record=incident, actor=agent, title="New title")
    assert record.priority == 4


def test_request_priority_uses_user_impact_and_its_types_urgency(requester, request_type):
    request_type.urgency = 1
    request_type.save(update_fields=["urgency"])
    record = services.incident_create(actor=requester, kind="request", title="x", request_type=request_type)
    assert record.priority == 3


@pytest.mark.parametrize(("impact", "urgency"), [(0, 1), (4, 1), (1, 0), (1, 4)])
def test_impact_or_urgency_outside_the_matrix_is_refused(agent, service, impact, urgency):
    with pytest.raises(ValidationError):
        services.incident_create(actor=agent, title="x", service=service, impact=impact, urgency=urgency)


def test_priority_changes_are_kept_after_reopen(agent, incident):
    record = services.incident_update(record=incident, actor=agent, impact=1, urgency=1)
    record = drive_to(record, wf.RESOLVED, agent=agent)
    record = services.incident_transition(record=record, actor=agent, to=wf.IN_PROGRESS, reason="again")
    assert record.priority == 1


@pytest.mark.parametrize(
    ("field", "value"), [("impact", 0), ("impact", 4), ("urgency", 9), ("urgency", "high")]
)
def test_update_with_impact_or_urgency_outside_the_matrix_is_refused(agent, incident, field, value):
    with pytest.raises(ValidationError) as caught:
        services.incident_update(record=incident, actor=agent, **{field: value})
    assert field in caught.value.message_dict
    incident.refresh_from_db()
    assert incident.priority == 4


@pytest.mark.django_db
def test_the_matrix_lists_every_cell_with_the_default_where_one_is_missing():
    from servicedesk.models import PriorityRule
    from servicedesk.services.priority import DEFAULT_MATRIX, priority_matrix

    PriorityRule.objects.filter(impact=1, urgency=1).delete()
    _edit_cell(impact=3, urgency=3, priority=4)

    matrix = priority_matrix()

    assert matrix == {**DEFAULT_MATRIX, (3, 3): 4}
