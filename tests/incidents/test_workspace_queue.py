import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cmdb.models import CIClass, ConfigurationItem
from cmdb.pickers import CIS
from incidents.models import Incident
from incidents.pickers import AGENTS
from servicedesk import roles
from servicedesk.models import SavedView
from servicedesk.pickers import PREVIEW

from ..factories import SupportGroupFactory, UserFactory
from .factories import BusinessServiceFactory, CategoryFactory, IncidentFactory, RequestFactory

QUEUE = reverse("incidents:queue")


def numbers(response) -> set[str]:
    return {record.number for record in response.context["page"]}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def desk(db, agent, support_group, requester, service):
    """One record for each tab: mine, my group's unassigned, another group's, a cancelled one."""
    other_group = SupportGroupFactory(name="Network")
    return {
        "mine": IncidentFactory(
            title="Printer jammed", support_group=support_group, assignee=agent, status="assigned", priority=3
        ),
        "group": IncidentFactory(
            title="VPN drops", support_group=support_group, status="new", priority=2, service=service
        ),
        "other": IncidentFactory(title="Switch down", support_group=other_group, status="new", priority=1),
        "done": IncidentFactory(
            title="Old mailbox", support_group=support_group, status="cancelled", priority=4
        ),
    }


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("mine", {"mine"}),
        ("groups", {"group"}),
        ("open", {"mine", "group", "other"}),
        ("all", {"mine", "group", "other", "done"}),
    ],
)
def test_each_tab_lists_its_records(client, agent, desk, view, expected):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": view})
    assert response.status_code == 200
    assert numbers(response) == {desk[name].number for name in expected}


def test_the_default_tab_is_my_work(client, agent, desk):
    client.force_login(agent)
    response = client.get(QUEUE)
    assert numbers(response) == {desk["mine"].number}


def test_rows_without_sla_clocks_are_sorted_by_priority_then_age(client, agent, desk):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open"})
    assert [r.number for r in response.context["page"]] == [
        desk["other"].number,
        desk["group"].number,
        desk["mine"].number,
    ]


@pytest.fixture
def ci(db):
    server = CIClass.objects.filter(path__startswith="/hardware/").order_by("path").first()
    return ConfigurationItem.objects.create(name="srv-mail-01", ci_class=server)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "assigned"}, {"mine"}),
        ({"status": ["new", "cancelled"]}, {"group", "other", "done", "request"}),
        ({"priority": "1"}, {"other"}),
        ({"support_group": "GROUP"}, {"mine", "group", "done", "request"}),
        ({"assignee": "AGENT"}, {"mine"}),
        ({"assignee": "none"}, {"group", "other", "done", "request"}),
        ({"service": "SERVICE"}, {"group"}),
        ({"q": "vpn"}, {"group"}),
        ({"q": "NUMBER"}, {"mine"}),
        ({"kind": "request"}, {"request"}),
        ({"kind": "incident"}, {"mine", "group", "other", "done"}),
        ({"ci": "CI"}, {"group"}),
        ({"channel": "phone"}, {"other"}),
        ({"is_major": "true"}, {"group"}),
        ({"category": "CATEGORY"}, {"mine"}),
        ({"requester": "REQUESTER"}, {"done"}),
        ({"updated_after": "TOMORROW"}, set()),
        ({"resolved_before": "TOMORROW"}, set()),
        ({"created_after": "TOMORROW"}, set()),
        ({"created_before": "TOMORROW"}, {"mine", "group", "other", "done", "request"}),
    ],
)
def test_filters_narrow_the_queue(client, agent, desk, support_group, service, ci, params, expected):
    desk["request"] = RequestFactory(title="New laptop", support_group=support_group, status="new")
    desk["group"].affected_cis.add(ci)
    category = CategoryFactory(name="Hardware")
    Incident.objects.filter(pk=desk["other"].pk).update(channel="phone")
    Incident.objects.filter(pk=desk["group"].pk).update(is_major=True)
    Incident.objects.filter(pk=desk["mine"].pk).update(category=category)
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    placeholders = {
        "GROUP": str(support_group.pk),
        "AGENT": str(agent.pk),
        "SERVICE": str(service.pk),
        "NUMBER": desk["mine"].number.lower(),
        "CI": str(ci.pk),
        "TOMORROW": tomorrow,
        "CATEGORY": str(category.pk),
        "REQUESTER": str(desk["done"].requester_id),
    }
    query = {k: placeholders.get(v, v) if isinstance(v, str) else v for k, v in params.items()}
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", **query})
    assert response.status_code == 200
    assert numbers(response) == {desk[name].number for name in expected}


@pytest.mark.parametrize(
    ("params", "label"),
    [
        ({"support_group": "999999"}, "Support group"),
        ({"assignee": "abc"}, "Assignee"),
        ({"is_major": "maybe"}, "Major incident"),
        ({"created_after": "yesterday"}, "Created from"),
        ({"status": ["new", "lost"]}, "Status"),
    ],
)
def test_an_invalid_filter_is_reported_and_lists_nothing(client, agent, desk, params, label):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", **params})
    assert response.status_code == 400
    assert numbers(response) == set()  # not every open record, as if the filter were not there
    errors = response.context["filter_errors"]
    assert [name for name, _errors in errors] == [label]
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert f"<li>{label}: " in body


def test_an_invalid_filter_under_htmx_answers_the_table_with_the_error(client, agent, desk):
    client.force_login(agent)
    response = client.get(
        QUEUE,
        {"view": "open", "ci": "424242"},
        headers={"HX-Request": "true", "HX-Target": "queue-table"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "<html" not in body
    assert 'data-testid="filter-errors"' in body
    assert "Affected CI: " in body
    # The filter form swaps that 400 answer in (static/js/app.js) instead of htmx ignoring it.
    assert "data-swap-errors" in client.get(QUEUE).content.decode()


def test_an_inactive_group_is_not_a_queue_filter(client, agent, desk):
    retired = SupportGroupFactory(name="Retired team", is_active=False)
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", "support_group": retired.pk})
    assert response.status_code == 400


def test_an_htmx_filter_change_answers_the_table_alone(client, agent, desk):
    client.force_login(agent)
    response = client.get(
        QUEUE, {"view": "open", "priority": "1"}, headers={"HX-Request": "true", "HX-Target": "queue-table"}
    )
    body = response.content.decode()
    assert "<html" not in body
    assert 'data-testid="queue-row"' in body
    assert desk["other"].number in body
    assert desk["group"].number not in body
    assert 'id="saved-view-query"' in body  # the saved-view form follows the filters


def test_the_filter_form_asks_htmx_to_push_the_url(client, agent, desk):
    client.force_login(agent)
    body = client.get(QUEUE).content.decode()
    assert 'hx-push-url="true"' in body
    assert 'hx-target="#queue-table"' in body


@pytest.mark.parametrize("rows", [5, 50])
def test_the_queue_runs_a_constant_number_of_queries(
    client, agent, support_group, service, rows, django_assert_max_num_queries
):
    requesters = [UserFactory(roles=[roles.REQUESTER]) for _ in range(3)]
    for index in range(rows):
        IncidentFactory(
            requester=requesters[index % 3],
            support_group=support_group,
            assignee=agent if index % 2 else None,
            status="assigned" if index % 2 else "new",
            service=service,
        )
    client.force_login(agent)
    client.get(QUEUE, {"view": "all"})  # warm the session and the content types
    # One more for the page's SLA clocks (none here; tests/sla/test_views.py counts them with clocks).
    with django_assert_max_num_queries(15):
        response = client.get(QUEUE, {"view": "all", "per_page": "50"})
    assert len(response.context["page"]) == rows


def test_pages_are_sliced_in_sql(client, agent, support_group):
    for _ in range(30):
        IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", "per_page": "25", "page": "2"})
    assert len(response.context["page"]) == 5
    assert response.context["page"].paginator.count == 30


# Saved views


def test_saving_a_view_keeps_the_filters_and_applies_them(client, agent, desk):
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_view_save"), {"name": "Urgent", "query": "view=open&priority=1&page=3"}
    )
    saved = SavedView.objects.get(owner=agent, name="Urgent")
    assert saved.scope == "incidents.queue"
    assert saved.query == "view=open&priority=1"
    assert response.status_code == 302
    assert response.url == f"{QUEUE}?view=open&priority=1"
    page = client.get(QUEUE)
    assert 'data-testid="saved-view"' in page.content.decode()
    assert f'href="{QUEUE}?view=open&amp;priority=1"' in page.content.decode()
    applied = client.get(response.url)
    assert numbers(applied) == {desk["other"].number}


def test_a_duplicate_view_name_is_refused_with_a_clear_error(client, agent):
    SavedView.objects.create(owner=agent, scope="incidents.queue", name="Urgent", query="priority=1")
    client.force_login(agent)
    response = client.post(reverse("incidents:queue_view_save"), {"name": "Urgent", "query": "priority=2"})
    assert response.status_code == 302
    assert any("already have a view called “Urgent”" in m for m in messages_of(response))
    assert SavedView.objects.get(owner=agent, name="Urgent").query == "priority=1"


def test_the_same_name_is_free_for_another_person(client, agent, group_manager):
    SavedView.objects.create(owner=group_manager, scope="incidents.queue", name="Urgent", query="priority=1")
    client.force_login(agent)
    client.post(reverse("incidents:queue_view_save"), {"name": "Urgent", "query": "priority=2"})
    assert SavedView.objects.filter(name="Urgent").count() == 2


def test_deleting_a_view(client, agent):
    saved = SavedView.objects.create(owner=agent, scope="incidents.queue", name="Mine", query="")
    client.force_login(agent)
    response = client.post(reverse("incidents:queue_view_delete", args=[saved.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.filter(pk=saved.pk).exists()


def test_others_views_are_invisible_and_cannot_be_deleted(client, agent, group_manager):
    theirs = SavedView.objects.create(
        owner=group_manager, scope="incidents.queue", name="Secret view", query="priority=1"
    )
    client.force_login(agent)
    assert "Secret view" not in client.get(QUEUE).content.decode()
    response = client.post(reverse("incidents:queue_view_delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()


# Bulk actions


def test_bulk_assign_to_a_person(client, agent, support_group):
    first = IncidentFactory(support_group=support_group, status="new")
    second = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {"bulk-records": [first.pk, second.pk], "bulk-action": "assign", "bulk-assignee": agent.pk},
    )
    assert response.status_code == 302
    for record in (first, second):
        record.refresh_from_db()
        assert record.assignee == agent
        assert record.status == "assigned"
    assert "2 records were updated." in messages_of(response)


def test_bulk_assign_to_a_group_only(client, agent, support_group):
    other = SupportGroupFactory(name="Database team")
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    client.post(
        reverse("incidents:queue_bulk"),
        {"bulk-records": [record.pk], "bulk-action": "assign", "bulk-support_group": other.pk},
    )
    record.refresh_from_db()
    assert record.support_group == other
    assert record.assignee is None


def test_bulk_resolve_reports_which_failed_and_why(client, agent, support_group):
    open_one = IncidentFactory(support_group=support_group, assignee=agent, status="in_progress")
    closed = IncidentFactory(support_group=support_group, status="cancelled")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {
            "bulk-records": [open_one.pk, closed.pk],
            "bulk-action": "transition",
            "bulk-to": "resolved",
            "bulk-resolution_code": "solved",
            "bulk-resolution_notes": "Restarted the service.",
        },
    )
    # Not everything was done: the queue again, with the reasons and the record to retry still ticked.
    assert response.status_code == 200
    assert response.context["selected"] == {closed.pk}
    open_one.refresh_from_db()
    closed.refresh_from_db()
    assert open_one.status == "resolved"
    assert open_one.resolution_notes == "Restarted the service."
    assert closed.status == "cancelled"
    texts = messages_of(response)
    assert "1 record was updated." in texts
    assert "1 record was not updated:" in texts
    assert any(text.startswith(f"{closed.number}: ") for text in texts)


def test_bulk_resolve_without_notes_fails_per_record_never_500(client, agent, support_group):
    record = IncidentFactory(support_group=support_group, assignee=agent, status="in_progress")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {
            "bulk-records": [record.pk],
            "bulk-action": "transition",
            "bulk-to": "resolved",
            "bulk-resolution_code": "solved",
        },
    )
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.status == "in_progress"
    assert any(text.startswith(f"{record.number}: ") for text in messages_of(response))


def test_bulk_without_a_selection_is_refused(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"), {"bulk-action": "assign", "bulk-assignee": agent.pk}
    )
    assert response.status_code == 400
    assert "Select at least one record." in response.content.decode()


# Navigation (the app's menu entries; the jump box is the kernel's: tests/servicedesk/test_record_pages.py)


def test_nav_has_the_queue_new_record_and_jump_box(client, agent):
    client.force_login(agent)
    body = client.get(QUEUE).content.decode()
    assert 'data-testid="nav-queue"' in body
    assert 'data-testid="nav-new-record"' in body
    assert "data-jump-box" in body
    assert 'aria-keyshortcuts="/"' in body


def test_a_requester_has_no_jump_box(client, requester):
    client.force_login(requester)
    body = client.get(reverse("home")).content.decode()
    assert "data-jump-box" not in body


def test_unassigned_kind_filter_counts_incidents_only(client, agent, desk):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", "kind": "incident", "assignee": "none"})
    assert numbers(response) == {desk["group"].number, desk["other"].number}
    assert all(r.kind == Incident.Kind.INCIDENT for r in response.context["page"])


# Bulk actions: failures name their field once and keep the selection


def _checked(body: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'name="bulk-records" value="(\d+)"[^>]*\bchecked\b', body)}


def test_bulk_resolve_without_notes_names_the_field_once_and_keeps_the_rows_selected(
    client, agent, support_group
):
    records = [
        IncidentFactory(support_group=support_group, assignee=agent, status="in_progress") for _ in range(3)
    ]
    bystander = IncidentFactory(support_group=support_group, assignee=agent, status="in_progress")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {
            "bulk-records": [record.pk for record in records],
            "bulk-action": "transition",
            "bulk-to": "resolved",
            "bulk-resolution_code": "solved",
            "next": f"{QUEUE}?view=mine",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    # One line for the reason, with its field and every record it stopped.
    reason = "Resolution notes: This field is required to resolve."
    numbers_text = ", ".join(record.number for record in records)
    assert messages_of(response) == ["3 records were not updated:", f"{numbers_text}: {reason}"]
    assert body.count(reason) == 1
    # The field itself is marked, and the rows are still ticked (the others are not).
    assert response.context["bulk_form"].errors["resolution_notes"] == ["This field is required to resolve."]
    assert _checked(body) == {record.pk for record in records}
    assert bystander.number in body  # the same tab as before
    for record in records:
        record.refresh_from_db()
        assert record.status == "in_progress"


def test_a_bulk_form_error_keeps_the_selection_and_the_filters(client, agent, support_group):
    first = IncidentFactory(support_group=support_group, status="new", priority=1, title="Mail down")
    IncidentFactory(support_group=support_group, status="new", priority=3, title="Printer")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {"bulk-records": [first.pk], "bulk-action": "transition", "next": f"{QUEUE}?view=open&priority=1"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert _checked(body) == {first.pk}
    assert numbers(response) == {first.number}
    assert response.context["bulk_form"].errors["to"] == ["Choose the new status."]
    # Links and the next bulk action lead back to the queue, not to the bulk address.
    assert f'value="{QUEUE}?view=open&amp;priority=1" id="bulk-next"' in body
    assert f'href="{QUEUE}?view=groups&amp;priority=1"' in body


def test_bulk_assign_to_someone_outside_the_chosen_group_is_a_field_error(
    client, agent, group_manager, support_group
):
    outsider = UserFactory(roles=[roles.AGENT], full_name="Olga Outsider")
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {
            "bulk-records": [record.pk],
            "bulk-action": "assign",
            "bulk-support_group": support_group.pk,
            "bulk-assignee": outsider.pk,
        },
    )
    assert response.status_code == 400
    message = "Olga Outsider is not a member of Service Desk; choose one of its members."
    assert response.context["bulk_form"].errors["assignee"] == [message]
    record.refresh_from_db()
    assert record.assignee is None


def test_the_bulk_assignee_menu_follows_the_chosen_group(client, agent, group_manager, support_group):
    outsider = UserFactory(roles=[roles.AGENT], full_name="Olga Outsider")
    client.force_login(agent)
    response = client.get(
        reverse("incidents:assignee_options"), {"form": "bulk", "bulk-support_group": support_group.pk}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="bulk-assignee"' in body
    assert agent.get_full_name() in body
    assert outsider.get_full_name() not in body


# Pickers: long menus list a preview and are searched (servicedesk.pickers)


@pytest.fixture
def crowd(db, support_group):
    """More services and agents than a picker lists before anything is typed."""
    services = [BusinessServiceFactory(name=f"Service {n:02}") for n in range(PREVIEW + 5)]
    agents = [UserFactory(full_name=f"Worker {n:02}", roles=[roles.AGENT]) for n in range(PREVIEW + 5)]
    support_group.members.add(agents[-1])
    return {"services": services, "agents": agents}


def test_the_queue_lists_a_preview_of_long_menus_and_filters_by_any_choice(client, agent, crowd):
    last_service, last_agent = crowd["services"][-1], crowd["agents"][-1]
    record = IncidentFactory(service=last_service, assignee=last_agent, status="assigned")
    IncidentFactory(status="new")
    client.force_login(agent)
    body = client.get(QUEUE, {"view": "all"}).content.decode()
    assert ">Service 00</option>" in body
    assert f">{last_service.name}</option>" not in body
    assert f">{last_agent.get_full_name()}</option>" not in body
    assert 'data-testid="picker-service"' in body
    assert 'data-testid="picker-bulk-assignee"' in body

    response = client.get(QUEUE, {"view": "all", "service": last_service.pk, "assignee": last_agent.pk})
    assert numbers(response) == {record.number}
    body = response.content.decode()
    assert f'<option value="{last_service.pk}" selected>{last_service.name}</option>' in body
    assert f'<option value="{last_agent.pk}" selected>{last_agent.get_full_name()}</option>' in body


def test_the_queue_filters_by_a_requester_and_a_ci_found_by_typing(client, agent, requester, ci):
    record = IncidentFactory(requester=requester, status="new")
    record.affected_cis.add(ci)
    IncidentFactory(status="new")
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "all", "requester": requester.pk, "ci": ci.pk})
    assert numbers(response) == {record.number}
    body = response.content.decode()
    assert f'<option value="{requester.pk}" selected>' in body
    assert f'<option value="{ci.pk}" selected>{ci.name} · {ci.ci_class.name}</option>' in body
    found = client.get(
        reverse("pick_options", args=[CIS]), {"q": ci.name, "target": "id_ci-options"}
    ).content.decode()
    assert f'<option value="{ci.pk}">' in found


def test_bulk_assign_to_an_agent_beyond_the_preview(client, agent, support_group, crowd):
    last_agent = crowd["agents"][-1]
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.post(
        reverse("incidents:queue_bulk"),
        {"bulk-records": [record.pk], "bulk-action": "assign", "bulk-assignee": last_agent.pk},
    )
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.assignee == last_agent


def test_the_agent_picker_searches_the_chosen_groups_members(client, agent, support_group, crowd):
    client.force_login(agent)
    url = reverse("pick_options", args=[AGENTS])
    everyone = client.get(url, {"q": "worker", "target": "t"}).content.decode()
    assert everyone.count("<option") == PREVIEW + 1  # 25 and "more match"
    members = client.get(url, {"q": "worker", "target": "t", "group": support_group.pk}).content.decode()
    assert re.findall(r">(Worker \d+)<", members) == [crowd["agents"][-1].get_full_name()]
    malformed = client.get(url, {"q": "worker", "target": "t", "group": "x"}).content.decode()
    assert "<option value" not in malformed
