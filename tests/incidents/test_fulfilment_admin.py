"""The admin of request types: the form schema (checked on save, the message on the field) and the
fulfilment checklist inline."""

import json

import pytest

from incidents.models import RequestType, TaskTemplate

from ..factories import UserFactory
from .fulfilment import LAPTOP_SCHEMA


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _form(request_type, schema, tasks=()):
    data = {
        "name": request_type.name,
        "service": request_type.service_id,
        "description": "",
        "support_group": "",
        "urgency": request_type.urgency,
        "is_active": "on",
        "approval": "none",
        "approval_group": "",
        "approval_rule": "any",
        "form_schema": json.dumps(schema),
        "task_templates-TOTAL_FORMS": str(len(tasks)),
        "task_templates-INITIAL_FORMS": "0",
        "task_templates-MIN_NUM_FORMS": "0",
        "task_templates-MAX_NUM_FORMS": "1000",
    }
    for n, (position, name, group) in enumerate(tasks):
        data.update(
            {
                f"task_templates-{n}-position": position,
                f"task_templates-{n}-name": name,
                f"task_templates-{n}-support_group": group.pk,
                f"task_templates-{n}-description": "",
            }
        )
    return data


def test_a_schema_outside_the_subset_is_refused_on_its_field(admin_client, request_type):
    url = f"/admin/incidents/requesttype/{request_type.pk}/change/"
    schema = {"properties": {"a": {"type": "string", "pattern": "x"}}}
    response = admin_client.post(url, _form(request_type, schema))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "unsupported keywords pattern" in errors["form_schema"][0]
    assert RequestType.objects.get(pk=request_type.pk).form_schema == {}


def test_the_schema_and_the_tasks_are_saved_together(admin_client, request_type, support_group):
    url = f"/admin/incidents/requesttype/{request_type.pk}/change/"
    tasks = [(0, "Order", support_group), (1, "Set up", support_group)]
    response = admin_client.post(url, _form(request_type, LAPTOP_SCHEMA, tasks))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert RequestType.objects.get(pk=request_type.pk).form_schema == LAPTOP_SCHEMA
    assert list(TaskTemplate.objects.filter(request_type=request_type).values_list("name", flat=True)) == [
        "Order",
        "Set up",
    ]
    page = admin_client.get(url).content.decode()
    assert "task_templates-0-name" in page
