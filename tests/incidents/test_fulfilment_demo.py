"""The demo's "New laptop": its form, manager approval and two tasks, and Alice's request half fulfilled."""

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.demo.fulfilment import DEMO_TITLE, LAPTOP_FORM
from incidents.models import FulfilmentTask, Incident, RequestType
from incidents.request_forms import form_schema_errors


@pytest.fixture
def seeded(db, settings):
    settings.ITSM_DEMO_RECORDS = 30
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_laptop_has_a_form_an_approval_and_two_tasks(seeded):
    assert form_schema_errors(LAPTOP_FORM) == {}
    laptop = RequestType.objects.get(name="New laptop")
    assert laptop.form_schema == LAPTOP_FORM
    assert laptop.approval == "manager"
    assert [(t.name, t.support_group.name) for t in laptop.task_templates.order_by("position")] == [
        ("Order the laptop", "IT procurement"),
        ("Set up and hand over", "Desktop support"),
    ]
    record = Incident.objects.get(title=DEMO_TITLE)
    assert record.form_data["model"] == "Developer 16-inch"
    tasks = FulfilmentTask.objects.filter(record=record).order_by("position")
    assert [(t.status, getattr(t.completed_by, "username", None)) for t in tasks] == [
        ("done", "grace"),
        ("ready", None),
    ]

    before = (Incident.objects.count(), FulfilmentTask.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Incident.objects.count(), FulfilmentTask.objects.count()) == before
