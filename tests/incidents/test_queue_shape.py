"""The queue's shape (issue 19): sortable columns, counts on the tabs, the "requester replied" marker, the
column choice kept with a saved view, and "assign to me" from the keyboard."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from incidents import services
from servicedesk.models import RecordVisit, SavedView, TimelineEntry, Watcher

from ..factories import SupportGroupFactory, UserFactory
from .factories import IncidentFactory

QUEUE = reverse("incidents:queue")
ASSIGN = reverse("incidents:queue_assign_to_me")


def numbers(response) -> list[str]:
    return [record.number for record in response.context["page"]]


@pytest.fixture
def three(db, support_group):
    """Three open records: their SLA due times, priorities, ages and last updates in different orders."""
    now = timezone.now()
    first = IncidentFactory(
        support_group=support_group, status="new", priority=3, sla_due_at=now + timedelta(hours=1)
    )
    second = IncidentFactory(support_group=support_group, status="new", priority=1, sla_due_at=None)
    third = IncidentFactory(
        support_group=support_group, status="new", priority=2, sla_due_at=now + timedelta(hours=2)
    )
    # created in that order; updated in the reverse one
    for index, record in enumerate([third, second, first]):
        type(record).objects.filter(pk=record.pk).update(updated_at=now + timedelta(minutes=index))
    return first, second, third


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", [0, 2, 1]),  # the most urgent SLA first, records without a clock last
        ("sla", [0, 2, 1]),
        ("-sla", [1, 2, 0]),  # the exact reverse, as the index read backwards gives it
        ("priority", [1, 2, 0]),
        ("-priority", [0, 2, 1]),
        ("created", [0, 1, 2]),
        ("-created", [2, 1, 0]),
        ("updated", [2, 1, 0]),
        ("-updated", [0, 1, 2]),
        ("number", [0, 1, 2]),
        ("-number", [2, 1, 0]),
        ("nonsense", [0, 2, 1]),  # an unknown sort is the default
    ],
)
def test_the_queue_sorts_by_each_column_both_ways(client, agent, three, sort, expected):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", "sort": sort})
    assert numbers(response) == [three[index].number for index in expected]


def test_a_sort_header_links_to_the_other_direction_and_says_which_is_current(client, agent, three):
    client.force_login(agent)
    response = client.get(
        QUEUE,
        {"view": "open", "sort": "-updated", "page": "1", "priority": "2", "cols": "title,updated,created"},
    )
    headers = {header["column"].code: header for header in response.context["headers"]}
    assert headers["updated"]["aria_sort"] == "descending"
    assert "sort=updated" in headers["updated"]["query"]
    assert "priority=2" in headers["updated"]["query"]
    assert "page=" not in headers["updated"]["query"]
    # Dates start newest first; the rest ascending.
    assert "sort=-created" in headers["created"]["query"]
    assert headers["created"]["aria_sort"] is None
    assert "title" not in {code for code, header in headers.items() if header.get("query")}
    assert 'aria-sort="descending"' in response.content.decode()


def test_pages_of_a_sort_neither_repeat_nor_skip_a_record(client, agent, support_group):
    now = timezone.now()
    made = [IncidentFactory(support_group=support_group, status="new") for _ in range(30)]
    type(made[0]).objects.update(updated_at=now)  # every row ties on the sort key
    client.force_login(agent)
    seen = []
    for page in (1, 2, 3):
        seen += numbers(
            client.get(QUEUE, {"view": "open", "sort": "-updated", "per_page": "25", "page": page})
        )
        if len(seen) >= 30:
            break
    assert sorted(seen) == sorted(record.number for record in made)


def test_words_without_a_sort_list_the_best_matches_and_no_column_is_current(client, agent, three):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", "q": "broken"})
    assert response.context["sort"] is None
    assert all(header.get("aria_sort") is None for header in response.context["headers"])


def test_the_tabs_show_their_counts(client, agent, support_group):
    IncidentFactory(support_group=support_group, assignee=agent, status="assigned")
    IncidentFactory.create_batch(2, support_group=support_group, status="new")
    IncidentFactory(support_group=SupportGroupFactory(), status="new")
    IncidentFactory(support_group=support_group, status="cancelled")
    client.force_login(agent)
    response = client.get(QUEUE)
    counts = {tab["code"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {"mine": "1", "groups": "2", "open": "4", "breaching": "0", "all": "5"}
    assert 'data-testid="tab-count-open">4<' in response.content.decode()


def test_the_tab_counts_stop_at_the_cap(client, agent, support_group, settings):
    settings.ITSM_LIST_COUNT_CAP = 2
    IncidentFactory.create_batch(3, support_group=support_group, status="new")
    client.force_login(agent)
    counts = {tab["code"]: tab["count"] for tab in client.get(QUEUE).context["tabs"]}
    assert counts["open"] == "2+"
    assert counts["mine"] == "0"


def test_an_htmx_refresh_sends_the_rows_and_the_tab_counts(client, agent, support_group):
    IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-table")
    body = response.content.decode()
    assert response.templates[0].name == "incidents/workspace/_queue_table.html"
    assert 'id="tab-count-open" data-testid="tab-count-open" hx-swap-oob="true">1<' in body


# The "requester replied" marker ---------------------------------------------------------------------


@pytest.fixture
def filed(db, requester, agent, support_group):
    record = services.incident_create(actor=requester, title="Screen flickers", description="Since Monday.")
    services.incident_assign(record=record, actor=agent, support_group=support_group, assignee=agent)
    return record


def unread(client, record) -> bool:
    response = client.get(QUEUE, {"view": "all"})
    return next(row.is_unread for row in response.context["page"] if row.pk == record.pk)


def test_a_requesters_reply_marks_the_row_until_the_agent_opens_the_record(client, agent, requester, filed):
    client.force_login(agent)
    assert not unread(client, filed)
    services.incident_comment(record=filed, actor=requester, body="It got worse.")
    assert unread(client, filed)
    assert 'data-testid="unread-marker"' in client.get(QUEUE, {"view": "all"}).content.decode()
    client.get(reverse("record", args=[filed.number]))
    assert not unread(client, filed)
    services.incident_comment(record=filed, actor=requester, body="Still there.")
    assert unread(client, filed)


def test_a_watchers_public_comment_marks_the_row(client, agent, filed):
    colleague = UserFactory(roles=["Requester"])
    Watcher.objects.create(
        content_type=ContentType.objects.get_for_model(filed), object_id=filed.pk, user=colleague
    )
    client.force_login(agent)
    client.get(reverse("record", args=[filed.number]))
    services.incident_comment(record=filed, actor=agent, body="Please try again.")
    assert not unread(client, filed)  # the agent's own reply
    # A watcher's reply (by e-mail, say), as the timeline keeps it.
    TimelineEntry.objects.create(
        content_type=ContentType.objects.get_for_model(filed),
        object_id=filed.pk,
        kind="comment",
        is_public=True,
        author=colleague,
        body="Me too.",
    )
    assert unread(client, filed)


def test_other_agents_comments_and_work_notes_do_not_mark_the_row(client, agent, group_manager, filed):
    client.force_login(agent)
    services.incident_comment(record=filed, actor=group_manager, body="Checked the cable.", is_public=True)
    services.incident_comment(record=filed, actor=group_manager, body="Internal.", is_public=False)
    assert not unread(client, filed)


def test_a_visit_is_one_row_per_person_and_record_moved_on_each_opening(client, agent, filed):
    client.force_login(agent)
    client.get(reverse("record", args=[filed.number]))
    first = RecordVisit.objects.get(user=agent, object_id=filed.pk).seen_at
    client.get(reverse("record", args=[filed.number]))
    assert RecordVisit.objects.filter(user=agent, object_id=filed.pk).count() == 1
    assert RecordVisit.objects.get(user=agent, object_id=filed.pk).seen_at > first


def test_a_record_the_person_may_not_see_writes_no_visit(client, other_requester, filed):
    client.force_login(other_requester)
    assert client.get(reverse("record", args=[filed.number])).status_code == 404
    assert not RecordVisit.objects.exists()


# Column choice ---------------------------------------------------------------------------------------


def test_the_queue_shows_the_chosen_columns_in_order_the_number_always(client, agent, three):
    client.force_login(agent)
    response = client.get(QUEUE, {"view": "open", "cols": ["title", "updated", "bogus", "title"]})
    assert response.context["column_codes"] == ["number", "title", "updated"]
    body = response.content.decode()
    assert body.index('data-column="title"') < body.index('data-column="updated"')
    assert 'data-column="requester"' not in body


def test_no_column_choice_is_the_default(client, agent, three):
    client.force_login(agent)
    codes = client.get(QUEUE).context["column_codes"]
    assert codes[:4] == ["number", "priority", "sla", "title"]
    assert "updated" not in codes


def test_a_saved_view_keeps_its_columns_apart_from_its_filters_and_sort(client, agent):
    client.force_login(agent)
    query = "view=open&priority=1&sort=-updated&cols=title&cols=updated&page=2"
    response = client.post(reverse("incidents:queue_view_save"), {"name": "Mine", "query": query})
    saved = SavedView.objects.get(owner=agent, name="Mine")
    assert saved.query == "view=open&priority=1&sort=-updated"
    assert saved.columns == ["number", "title", "updated"]
    assert response.url == f"{QUEUE}?view=open&priority=1&sort=-updated&cols=title&cols=updated"
    listed = client.get(QUEUE).context["saved_views"]
    assert listed[0].href == f"{QUEUE}?view=open&priority=1&sort=-updated&cols=number&cols=title&cols=updated"


def test_a_saved_view_with_the_default_columns_stores_none(client, agent):
    client.force_login(agent)
    client.post(reverse("incidents:queue_view_save"), {"name": "Plain", "query": "view=open"})
    assert SavedView.objects.get(owner=agent, name="Plain").columns == []


# Assign to me ("a") -------------------------------------------------------------------------------------


def test_assign_to_me_assigns_the_row_and_redraws_the_rows(client, agent, support_group):
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.post(
        ASSIGN,
        {"record": record.pk, "version": record.version, "next": f"{QUEUE}?view=open"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    record.refresh_from_db()
    assert record.assignee == agent
    assert record.status == "assigned"
    assert "is assigned to you" in response.content.decode()
    assert response.templates[0].name == "incidents/workspace/_queue_table.html"


def test_assign_to_me_refuses_a_record_changed_since_the_list_was_drawn(
    client, agent, group_manager, support_group
):
    record = IncidentFactory(support_group=support_group, status="new")
    shown = record.version
    services.incident_assign(record=record, actor=group_manager, assignee=group_manager)
    client.force_login(agent)
    response = client.post(ASSIGN, {"record": record.pk, "version": shown}, HTTP_HX_REQUEST="true")
    assert response.status_code == 412
    record.refresh_from_db()
    assert record.assignee == group_manager
    assert "changed since the list was shown" in response.content.decode()


def test_assign_to_me_refuses_a_record_of_a_group_the_agent_is_not_in(client, agent):
    record = IncidentFactory(support_group=SupportGroupFactory(name="Network"), status="new")
    client.force_login(agent)
    response = client.post(ASSIGN, {"record": record.pk, "version": record.version}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    record.refresh_from_db()
    assert record.assignee is None


def test_assign_to_me_without_htmx_goes_back_to_the_queue(client, agent, support_group):
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(agent)
    response = client.post(
        ASSIGN, {"record": record.pk, "version": record.version, "next": f"{QUEUE}?view=mine"}
    )
    assert response.status_code == 302
    assert response.url == f"{QUEUE}?view=mine"


def test_assign_to_me_is_for_agents_and_visible_records_only(client, requester, agent, support_group):
    record = IncidentFactory(support_group=support_group, status="new")
    client.force_login(requester)
    assert client.post(ASSIGN, {"record": record.pk}).status_code == 403
    client.force_login(agent)
    assert client.post(ASSIGN, {"record": 999999}).status_code == 404
    assert client.get(ASSIGN).status_code == 405
