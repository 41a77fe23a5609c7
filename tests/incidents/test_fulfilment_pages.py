"""Catalogue forms and fulfilment tasks in the pages: the portal's new-request form built from the schema
(errors on the fields, 400), the answers and the tasks on the record page (requester and agents), the task
list, marking done and reopening from the pages; constant queries."""

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import FulfilmentTask, Incident, RequestType, TaskTemplate

from ..factories import SupportGroupFactory
from .fulfilment import LAPTOP_SCHEMA, file_laptop, laptop_type


@pytest.fixture
def laptop(db, service, support_group):
    second = SupportGroupFactory(name="Desktop support", members=list(support_group.members.all()))
    return laptop_type(service, groups=[support_group, second])


def _new(request_type):
    return reverse("incidents:portal_new_request", args=[request_type.pk])


def _post(requester, **changes):
    data = {
        "title": "A laptop",
        "description": "",
        "urgency": "3",
        "form-model": "Developer 16",
        "form-needed_by": "2027-01-15",
        "form-cost_centre": "CC-1234",
        "form-for_whom": str(requester.pk),
        "form-justification": "The old one is slow.",
        "form-ram_gb": "32",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_the_new_request_page_renders_the_types_fields(client, requester, laptop):
    client.force_login(requester)
    response = client.get(_new(laptop))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="request-fields"' in html
    for name in ("form-model", "form-needed_by", "form-cost_centre", "form-for_whom", "form-justification"):
        assert f'name="{name}"' in html
    assert 'type="date"' in html
    assert 'data-testid="picker-form-for_whom"' in html
    assert "<textarea" in html


def test_a_wrong_answer_is_shown_on_its_field_and_files_nothing(client, requester, laptop):
    client.force_login(requester)
    response = client.post(
        _new(laptop), _post(requester, **{"form-cost_centre": "C1", "form-needed_by": None})
    )
    assert response.status_code == 400
    errors = response.context["fields_form"].errors
    assert "cost_centre" in errors
    assert "needed_by" in errors
    assert not Incident.objects.exists()


def test_a_person_who_left_is_not_taken(client, requester, laptop):
    other = type(requester).objects.create(username="left", is_active=False)
    client.force_login(requester)
    response = client.post(_new(laptop), _post(requester, **{"form-for_whom": str(other.pk)}))
    assert response.status_code == 400
    assert "for_whom" in response.context["fields_form"].errors


def test_the_services_answer_errors_land_on_their_fields_and_the_rest_above_the_form(laptop):
    from django.core.exceptions import ValidationError

    from incidents.forms_catalogue import RequestFieldsForm, split_answer_errors
    from incidents.forms_portal import RequestForm

    main = RequestForm({"title": "x", "urgency": "3"}, request_type=laptop)
    fields = RequestFieldsForm({}, schema=laptop.form_schema)
    main.is_valid()
    fields.is_valid()
    split_answer_errors(
        ValidationError({"form_data.for_whom": ["Choose an active person."], "request_type": ["Gone."]}),
        main=main,
        fields=fields,
    )
    assert "Choose an active person." in fields.errors["for_whom"]
    assert main.errors["__all__"] == ["request_type: Gone."]


def test_filing_keeps_the_answers_and_a_file_field_attaches_the_file(
    client, requester, service, support_group
):
    schema = {
        **LAPTOP_SCHEMA,
        "properties": {
            **LAPTOP_SCHEMA["properties"],
            "quote": {"type": "string", "format": "file", "title": "Quote"},
        },
        "required": [*LAPTOP_SCHEMA["required"], "quote"],
    }
    laptop = laptop_type(service, groups=[support_group], schema=schema)
    client.force_login(requester)
    missing = client.post(_new(laptop), _post(requester))
    assert missing.status_code == 400
    assert "quote" in missing.context["fields_form"].errors

    quote = SimpleUploadedFile("quote.txt", b"Laptop: 1200 EUR", content_type="text/plain")
    response = client.post(_new(laptop), {**_post(requester), "form-quote": quote})
    assert response.status_code == 302
    record = Incident.objects.get()
    assert record.form_data["model"] == "Developer 16"
    assert record.form_data["ram_gb"] == 32
    assert record.form_data["quote"]["name"] == "quote.txt"

    page = client.get(reverse("record", args=[record.number])).content.decode()
    assert 'data-testid="answer-quote"' in page
    assert reverse("attachment", args=[record.form_data["quote"]["id"]]) in page


def test_the_requester_sees_the_answers_and_the_tasks_progress_without_buttons(client, requester, laptop):
    record = file_laptop(requester, laptop)
    client.force_login(requester)
    html = client.get(reverse("record", args=[record.number])).content.decode()
    assert 'data-testid="request-answers"' in html
    assert "Developer 16" in html
    assert 'data-testid="record-tasks"' in html
    assert "0 of 2 done" in html
    assert "task-complete-form" not in html


def test_an_agent_marks_tasks_done_from_the_request_page_and_the_request_resolves(
    client, requester, agent, laptop
):
    record = file_laptop(requester, laptop)
    page = reverse("record", args=[record.number])
    client.force_login(agent)
    html = client.get(page).content.decode()
    assert html.count('data-testid="task-complete-form"') == 1
    first, second = FulfilmentTask.objects.filter(record=record).order_by("position")

    for task in (first, second):
        task.refresh_from_db()
        response = client.post(
            reverse("incidents:task_complete", args=[task.pk]), {"version": task.revision, "next": page}
        )
        assert response.status_code == 302
        assert response.url == page
    assert Incident.objects.get(pk=record.pk).status == "resolved"

    html = client.get(page).content.decode()
    assert "2 of 2 done" in html
    assert html.count('data-testid="task-reopen-form"') == 2


def test_a_stale_or_not_ready_completion_is_a_message_not_an_error(client, requester, agent, laptop):
    record = file_laptop(requester, laptop)
    first, second = FulfilmentTask.objects.filter(record=record).order_by("position")
    client.force_login(agent)
    stale = client.post(
        reverse("incidents:task_complete", args=[first.pk]), {"version": first.revision - 1}, follow=True
    )
    assert "has changed since you read it" in stale.content.decode()
    early = client.post(reverse("incidents:task_complete", args=[second.pk]), {}, follow=True)
    assert "is not ready" in early.content.decode()
    assert FulfilmentTask.objects.filter(record=record, status="done").count() == 0


def test_reopening_from_the_page_needs_a_reason(client, requester, agent, laptop):
    record = file_laptop(requester, laptop)
    first = FulfilmentTask.objects.filter(record=record).order_by("position").first()
    client.force_login(agent)
    client.post(reverse("incidents:task_complete", args=[first.pk]), {})
    refused = client.post(reverse("incidents:task_reopen", args=[first.pk]), {"reason": ""}, follow=True)
    assert "Say why" in refused.content.decode()
    client.post(reverse("incidents:task_reopen", args=[first.pk]), {"reason": "Wrong model."})
    assert FulfilmentTask.objects.get(pk=first.pk).status == "ready"


def test_the_task_list_shows_my_groups_ready_tasks_and_not_to_requesters(client, requester, agent, laptop):
    record = file_laptop(requester, laptop)
    client.force_login(agent)
    response = client.get(reverse("incidents:tasks"))
    assert response.status_code == 200
    assert [task.name for task in response.context["tasks"]] == ["Step 1"]
    assert record.number in response.content.decode()
    client.force_login(requester)
    assert client.get(reverse("incidents:tasks")).status_code == 404
    task = FulfilmentTask.objects.filter(record=record).first()
    assert client.post(reverse("incidents:task_complete", args=[task.pk]), {}).status_code == 404


def test_the_task_list_of_a_group_member_holds_only_their_groups_tasks(client, requester, laptop, service):
    from servicedesk import roles

    from ..factories import UserFactory

    storeman = UserFactory(username="storeman", roles=[roles.AGENT])
    storeman.groups.clear()
    storeman.user_permissions.add(Permission.objects.get(codename="access_workspace"))
    stores = SupportGroupFactory(name="Stores", members=[storeman])
    other = RequestType.objects.create(name="Monitor", service=service)
    TaskTemplate.objects.create(request_type=other, position=0, name="Hand out", support_group=stores)
    file_laptop(requester, laptop)
    mine = file_laptop(requester, other, form_data={})
    client.force_login(storeman)
    for tab in ("mine", "all"):
        tasks = client.get(reverse("incidents:tasks"), {"tab": tab}).context["tasks"]
        assert [task.record_id for task in tasks] == [mine.pk]


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_the_request_page_queries_do_not_grow_with_tasks(
    client, requester, agent, service, support_group, who
):
    counts = []
    for size in (2, 6):
        groups = [SupportGroupFactory(name=f"G{size}-{n}", members=[agent]) for n in range(size)]
        record = file_laptop(
            requester, laptop_type(service, groups=groups, parallel=True, schema={**LAPTOP_SCHEMA})
        )
        RequestType.objects.filter(pk=record.request_type_id).update(name=f"Laptop {size}")
        client.force_login(agent if who == "agent" else requester)
        client.get(reverse("record", args=[record.number]))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("record", args=[record.number]))
        assert response.status_code == 200
        assert response.content.decode().count('data-testid="task-') >= size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("size", [1, 8])
def test_the_task_list_runs_a_constant_number_of_queries(
    client, requester, agent, laptop, size, django_assert_max_num_queries
):
    for _n in range(size):
        file_laptop(requester, laptop)
    client.force_login(agent)
    client.get(reverse("incidents:tasks"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("incidents:tasks"))
    assert len(response.context["tasks"]) == size
