from datetime import UTC, datetime, timedelta

import pytest

from incidents import services
from incidents.models import Category, RequestType
from servicedesk.models import AuditEvent, Organisation, PriorityRule
from servicedesk.services.priority import priority_for

from ..factories import UserFactory

ADMIN = "/admin/incidents"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def worked(incident, agent, requester):
    """An incident with a public comment, a work note and a resolution."""
    services.incident_comment(record=incident, actor=agent, body="Which version of Outlook?")
    services.incident_comment(record=incident, actor=agent, body="Profile looks corrupt.", is_public=False)
    return services.incident_transition(
        record=incident, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Rebuilt it."
    )


@pytest.fixture
def objects(worked, subcategory, request_type):
    return {"incident": worked, "category": subcategory.parent, "requesttype": request_type}


@pytest.mark.parametrize("model", ["incident", "category", "requesttype"])
def test_the_changelist_and_the_object_page_load(admin_client, objects, model):
    changelist = admin_client.get(f"{ADMIN}/{model}/")
    page = admin_client.get(f"{ADMIN}/{model}/{objects[model].pk}/change/")

    assert changelist.status_code == 200
    assert page.status_code == 200
    assert page.context["original"] == objects[model]


def test_records_cannot_be_added_or_deleted_in_the_admin(admin_client, worked):
    changelist = admin_client.get(f"{ADMIN}/incident/").content.decode()

    assert admin_client.get(f"{ADMIN}/incident/add/").status_code == 403
    assert admin_client.get(f"{ADMIN}/incident/{worked.pk}/delete/").status_code == 403
    assert f'href="{ADMIN}/incident/add/"' not in changelist
    assert "delete_selected" not in changelist


def test_a_record_page_is_view_only_and_a_post_changes_nothing(admin_client, worked):
    page = admin_client.get(f"{ADMIN}/incident/{worked.pk}/change/")
    response = admin_client.post(
        f"{ADMIN}/incident/{worked.pk}/change/", {"title": "Changed in the admin", "status": "new"}
    )

    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    assert response.status_code == 403
    worked.refresh_from_db()
    assert (worked.title, worked.status, worked.version) == (
        "Outlook does not start",
        "resolved",
        worked.version,
    )


def test_the_record_page_shows_the_whole_timeline_read_only(admin_client, worked):
    response = admin_client.get(f"{ADMIN}/incident/{worked.pk}/change/")
    content = response.content.decode()

    assert "Which version of Outlook?" in content
    assert "Profile looks corrupt." in content
    assert "Rebuilt it." in content
    assert worked.number in content
    assert 'name="servicedesk-timelineentry-content_type-object_id-0-body"' not in content


@pytest.mark.parametrize("term", ["INC0000001", "inc1", "  Inc0000001 "])
def test_search_finds_a_record_by_its_number(admin_client, worked, term):
    response = admin_client.get(f"{ADMIN}/incident/", {"q": term})

    assert [r.pk for r in response.context["cl"].result_list] == [worked.pk]


def test_search_finds_records_by_words_of_the_title(admin_client, worked, requester, service):
    services.incident_create(actor=requester, title="Printer jammed", service=service)

    response = admin_client.get(f"{ADMIN}/incident/", {"q": "outlook"})

    assert [r.pk for r in response.context["cl"].result_list] == [worked.pk]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status__exact": "resolved"}, {"Outlook does not start"}),
        ({"status__exact": "new"}, {"A mailbox for the team"}),
        ({"kind__exact": "request"}, {"A mailbox for the team"}),
        ({"kind__exact": "incident", "priority__exact": "4"}, {"Outlook does not start"}),
        ({"priority__exact": "1"}, set()),
    ],
)
def test_the_list_filters_by_kind_status_priority_and_group(
    admin_client, worked, service_request, filters, expected
):
    response = admin_client.get(f"{ADMIN}/incident/", filters)
    by_group = admin_client.get(f"{ADMIN}/incident/", {"support_group__id__exact": worked.support_group_id})

    assert {r.title for r in response.context["cl"].result_list} == expected
    assert by_group.context["cl"].result_count == 2


def test_the_close_action_closes_through_the_service_what_is_past_the_delay(
    admin_client, time_machine, settings, requester, agent, service, superuser
):
    settings.ITSM_AUTO_CLOSE_DAYS = 5
    time_machine.move_to(T0, tick=False)
    due = services.incident_create(actor=requester, title="Resolved long ago", service=service)
    services.incident_transition(
        record=due, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Done."
    )
    time_machine.move_to(T0 + timedelta(days=3), tick=False)
    recent = services.incident_create(actor=requester, title="Resolved lately", service=service)
    services.incident_transition(
        record=recent, actor=agent, to="resolved", resolution_code="solved", resolution_notes="Done."
    )
    time_machine.move_to(T0 + timedelta(days=6), tick=False)

    response = admin_client.post(
        f"{ADMIN}/incident/",
        {"action": "close_resolved_past_delay", "_selected_action": [recent.pk]},
        follow=True,
    )

    due.refresh_from_db()
    recent.refresh_from_db()
    assert (due.status, recent.status) == ("closed", "resolved")
    assert AuditEvent.objects.filter(action="incident.close", object_id=str(due.pk), actor=None).exists()
    assert "1 resolved record was past the auto-close delay" in response.content.decode()


def test_the_close_action_is_offered_only_to_people_who_may_close(client, worked):
    # A change manager sees and works records but does not close them.
    client.force_login(UserFactory(roles=["Change manager"], is_staff=True))

    response = client.get(f"{ADMIN}/incident/")

    assert response.status_code == 200
    assert "close_resolved_past_delay" not in response.content.decode()
    assert response.context["cl"].result_count == 1


def test_a_category_is_added_with_its_subcategories_inline(admin_client, superuser):
    response = admin_client.post(
        f"{ADMIN}/category/add/",
        {
            "name": "Printing",
            "is_active": "on",
            "subcategories-TOTAL_FORMS": "2",
            "subcategories-INITIAL_FORMS": "0",
            "subcategories-MIN_NUM_FORMS": "0",
            "subcategories-MAX_NUM_FORMS": "1000",
            "subcategories-0-name": "Toner",
            "subcategories-0-is_active": "on",
            "subcategories-1-name": "Paper jam",
            "subcategories-1-is_active": "on",
        },
    )

    assert response.status_code == 302
    printing = Category.objects.get(name="Printing", parent=None)
    assert set(printing.subcategories.values_list("name", flat=True)) == {"Toner", "Paper jam"}
    assert AuditEvent.objects.filter(action="category.created_in_admin", actor=superuser).exists()


def test_a_subcategory_page_has_no_inline_and_offers_only_top_level_parents(admin_client, subcategory):
    response = admin_client.get(f"{ADMIN}/category/{subcategory.pk}/change/")

    assert response.context["inline_admin_formsets"] == []
    parents = response.context["adminform"].form.fields["parent"].queryset
    assert list(parents) == [subcategory.parent]


def test_a_request_type_is_edited_in_the_admin_and_audited(admin_client, request_type, support_group):
    refused = admin_client.post(
        f"{ADMIN}/requesttype/{request_type.pk}/change/",
        {
            "name": "x",
            "service": request_type.service_id,
            "urgency": "2",
            "approval": "group",
            "approval_rule": "any",
        },
    )
    assert "Name the approver group." in refused.content.decode()
    response = admin_client.post(
        f"{ADMIN}/requesttype/{request_type.pk}/change/",
        {
            "name": "New shared mailbox",
            "service": request_type.service_id,
            "description": "For teams.",
            "support_group": support_group.pk,
            "urgency": "2",
            "is_active": "on",
            "approval": "group",
            "approval_group": support_group.pk,
            "approval_rule": "any",
            "form_schema": "{}",
            # The fulfilment checklist's inline (issue 19), left empty.
            "task_templates-TOTAL_FORMS": "0",
            "task_templates-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    request_type.refresh_from_db()
    assert (request_type.approval, request_type.approval_group) == ("group", support_group)
    assert (request_type.name, request_type.support_group, request_type.urgency) == (
        "New shared mailbox",
        support_group,
        2,
    )
    assert AuditEvent.objects.filter(action="requesttype.changed_in_admin").exists()
    assert RequestType.objects.count() == 1


# The priority matrix and organisations (servicedesk/admin.py)


def test_the_priority_matrix_lists_its_nine_cells_and_cannot_grow_or_shrink(admin_client):
    changelist = admin_client.get("/admin/servicedesk/priorityrule/")
    rule = PriorityRule.objects.get(impact=1, urgency=1)

    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count == 9
    assert admin_client.get("/admin/servicedesk/priorityrule/add/").status_code == 403
    assert admin_client.get(f"/admin/servicedesk/priorityrule/{rule.pk}/delete/").status_code == 403


def test_a_cell_of_the_matrix_is_edited_and_new_records_use_it(admin_client, superuser):
    rule = PriorityRule.objects.get(impact=3, urgency=3)

    response = admin_client.post(
        f"/admin/servicedesk/priorityrule/{rule.pk}/change/",
        {"impact": "1", "urgency": "1", "priority": "4"},
    )

    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.impact, rule.urgency, rule.priority) == (3, 3, 4)
    assert priority_for(impact=3, urgency=3) == 4
    assert AuditEvent.objects.filter(action="priorityrule.changed_in_admin", actor=superuser).exists()


def test_an_organisation_shares_its_records_when_the_admin_says_so(admin_client, organisation):
    response = admin_client.post(
        f"/admin/servicedesk/organisation/{organisation.pk}/change/",
        {
            "name": organisation.name,
            "email_domain": "contoso.example",
            "phone": "",
            "shares_records": "on",
            "is_active": "on",
        },
    )
    changelist = admin_client.get("/admin/servicedesk/organisation/", {"shares_records__exact": "1"})

    assert response.status_code == 302
    assert Organisation.objects.get(pk=organisation.pk).shares_records is True
    assert [o.pk for o in changelist.context["cl"].result_list] == [organisation.pk]


def test_the_notification_template_editor_names_incidents_and_requests_among_an_events_senders(admin_client):
    html = admin_client.get("/admin/servicedesk/notificationtemplate/add/").content.decode()

    assert "<code>sla_breached</code>: A record breached its SLA target <small>(agents; Incident" in html
    assert "<code>waiting</code>: A record is waiting for my answer <small>(requesters; Incident" in html
