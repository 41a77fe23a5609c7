"""Incidents' own timeline renderers, registered on the kernel's timeline: a merge and their links read in
their words, and nothing of theirs leaks onto another model's timeline."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string

from incidents.models import Incident
from servicedesk.models import TimelineEntry
from servicedesk.records.timeline import timeline_renderer
from tests.kernelkind.models import Chore

TRANSITION = {"from": "in_progress", "to": "closed", "transition": "merge", "into": "INC0000001"}


def _render(record, *specs) -> str:
    content_type = ContentType.objects.get_for_model(record)
    for kind, data in specs:
        TimelineEntry.objects.create(content_type=content_type, object_id=record.pk, kind=kind, data=data)
    entries = TimelineEntry.objects.filter(content_type=content_type, object_id=record.pk).order_by("id")
    return render_to_string(
        "servicedesk/records/_timeline.html", {"entries": entries, "record": record, "show_internal": True}
    )


@pytest.mark.django_db
def test_a_merge_reads_as_one_on_an_incident_and_as_a_transition_elsewhere():
    incident = Incident(pk=434343, number="INC0434343")
    chore = Chore(pk=434343, number="TST0434343")

    assert "Merged into INC0000001" in _render(incident, ("transition", TRANSITION))
    assert "Merged into" not in _render(chore, ("transition", {**TRANSITION, "to": "done", "from": "doing"}))


def test_incidents_links_are_told_by_their_own_renderer_first():
    incident, chore = Incident(pk=1), Chore(pk=1)

    for link in ("follow_up_of", "followed_up_by", "parent", "merged"):
        entry = TimelineEntry(kind="link", data={"link": link})
        assert timeline_renderer(entry, incident) == "incidents/timeline/link.html"
        assert timeline_renderer(entry, chore) != "incidents/timeline/link.html"
