"""The shared timeline: labelled from the record's own model, each entry told by the renderer registered for
its kind and data type, so another kind adds how its entries read without touching the template."""

import copy

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string

from servicedesk.models import TimelineEntry, User
from servicedesk.records import timeline
from servicedesk.records.timeline import register_timeline_renderer, timeline_renderer
from tests.kernelkind.models import Chore

TEMPLATE = "servicedesk/records/_timeline.html"


@pytest.fixture
def registry(monkeypatch):
    monkeypatch.setattr(timeline, "_RENDERERS", dict(timeline._RENDERERS))


@pytest.fixture
def templates(settings, tmp_path):
    """A folder of templates a test writes, searched first."""
    engines = copy.deepcopy(settings.TEMPLATES)
    engines[0]["DIRS"] = [tmp_path, *engines[0]["DIRS"]]
    settings.TEMPLATES = engines
    return tmp_path


def _entries(record, *specs):
    content_type = ContentType.objects.get_for_model(record)
    for kind, data in specs:
        TimelineEntry.objects.create(content_type=content_type, object_id=record.pk, kind=kind, data=data)
    return TimelineEntry.objects.filter(content_type=content_type, object_id=record.pk).order_by("id")


def _render(record, entries) -> str:
    return render_to_string(TEMPLATE, {"entries": entries, "record": record, "show_internal": True})


@pytest.fixture
def ci(db):
    """A record of the test-only kind (the timeline needs only its model and id)."""
    return Chore(pk=424242, number="TST0424242", status="doing")


def test_statuses_and_fields_are_named_through_the_records_own_model(ci):
    entries = _entries(
        ci,
        ("transition", {"from": "open", "to": "doing", "transition": "start"}),
        ("field_change", {"changes": {"checked": {"from": False, "to": True}}}),
    )

    html = _render(ci, entries)

    assert "Status: Open → Doing" in html
    assert "Checked" in html


def test_an_app_registers_how_its_event_reads(registry, templates, ci):
    (templates / "polished.html").write_text('<p data-testid="polished">Polished by {{ entry.data.by }}</p>')
    register_timeline_renderer("system", "polished.html", data_type="gadget_polished")
    entries = _entries(
        ci, ("system", {"event": "gadget_polished", "by": "Ada"}), ("system", {"event": "other"})
    )

    html = _render(ci, entries)

    assert '<p data-testid="polished">Polished by Ada</p>' in html
    assert "other" in html  # an event nobody registered reads as its name


def test_a_renderer_for_one_model_leaves_other_models_alone(registry, templates, ci, db):
    (templates / "chore_transition.html").write_text("Chore moved to {{ entry.data.to }}")
    register_timeline_renderer("transition", "chore_transition.html", model="kernelkind.Chore")
    transition = {"from": "open", "to": "doing", "transition": "start"}
    person = User(pk=434343)  # another model, with no renderer of its own

    assert "Chore moved to doing" in _render(ci, _entries(ci, ("transition", transition)))
    other_html = _render(person, _entries(person, ("transition", transition)))
    assert "Chore moved" not in other_html
    assert "start" in other_html.lower() or "doing" in other_html.lower()


def test_the_most_specific_renderer_wins(registry):
    register_timeline_renderer("link", "any_parent.html", data_type="parent")
    register_timeline_renderer("link", "chore_link.html", model="kernelkind.Chore")
    register_timeline_renderer("link", "chore_parent.html", data_type="parent", model="kernelkind.Chore")
    chore, person = Chore(pk=1), User(pk=1)
    parent = TimelineEntry(kind="link", data={"link": "parent"})
    other = TimelineEntry(kind="link", data={"link": "sibling"})

    assert timeline_renderer(parent, chore) == "chore_parent.html"
    assert timeline_renderer(other, chore) == "chore_link.html"
    assert timeline_renderer(parent, person) == "any_parent.html"  # a model nobody registered for
    assert timeline_renderer(parent, None) == "any_parent.html"
    assert timeline_renderer(other, person) == "servicedesk/records/timeline/link.html"
    assert timeline_renderer(TimelineEntry(kind="comment"), chore) == ""


def test_a_second_template_for_the_same_entries_is_refused(registry):
    register_timeline_renderer("system", "a.html", data_type="gadget_polished")
    register_timeline_renderer("system", "a.html", data_type="gadget_polished")  # the same: no-op

    with pytest.raises(ValueError, match="already registered"):
        register_timeline_renderer("system", "b.html", data_type="gadget_polished")
    with pytest.raises(ValueError, match="no data type"):
        register_timeline_renderer("comment", "c.html", data_type="anything")
