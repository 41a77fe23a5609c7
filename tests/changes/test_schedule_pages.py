"""The forward schedule page: its views, filters, freezes, what each person sees, its bounded queries,
and the conflicts panel of the change's page."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from changes import workflow as wf
from changes.models import BlackoutWindow, CalendarFeed, Change
from changes.services import change_create
from changes.views_schedule import conflicts_context
from servicedesk.models import SupportGroup

from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory

pytestmark = pytest.mark.django_db

URL = "/desk/changes/schedule/"
DAY = datetime(2027, 3, 10, 9, tzinfo=UTC)  # a Wednesday


@pytest.fixture
def plan(agent):
    def _plan(title, *, start=DAY, hours=2, status=wf.SCHEDULED, cis=(), services=(), group=None, risk="",
              requester=None):  # fmt: skip
        record = change_create(
            actor=agent,
            title=title,
            affected_cis=cis,
            services=services,
            support_group=group,
            planned_start=start,
            planned_end=start + timedelta(hours=hours),
        )
        Change.objects.filter(pk=record.pk).update(
            status=status, risk_level=risk, requester=requester or agent
        )
        record.refresh_from_db()
        return record

    return _plan


def numbers(response) -> list[str]:
    html = response.content.decode()
    return sorted({part.split('"')[0] for part in html.split('data-number="')[1:]})


def get(client, user, **params):
    client.force_login(user)
    return client.get(URL, params)


def test_the_month_shows_scheduled_implementing_approved_and_done_changes(client, agent, plan):
    scheduled = plan("Scheduled")
    implementing = plan("Implementing", status=wf.IMPLEMENTING, start=DAY + timedelta(days=3))
    approved = plan("Approved", status=wf.APPROVED, start=DAY + timedelta(days=5))
    closed = plan("Closed", status=wf.CLOSED)
    plan("Awaiting", status=wf.AWAITING_APPROVAL)
    plan("Rejected", status=wf.REJECTED)
    plan("Cancelled", status=wf.CANCELLED)
    plan("Next month", start=DAY + timedelta(days=40))

    response = get(client, agent, view="month", date="2027-03-01")

    assert response.status_code == 200
    assert numbers(response) == sorted(
        [scheduled.number, implementing.number, approved.number, closed.number]
    )
    html = response.content.decode()
    assert html.count('data-testid="schedule-day"') == 35  # 1 March 2027 is a Monday: five weeks
    assert "schedule-approved" in html


def test_the_week_and_the_list(client, agent, plan):
    this_week = plan("This week")
    next_week = plan("Next week", start=DAY + timedelta(days=7))

    week = get(client, agent, view="week", date="2027-03-10")
    assert week.content.decode().count('data-testid="schedule-day"') == 7
    assert numbers(week) == [this_week.number]
    listed = get(client, agent, view="list", date="2027-03-01")
    assert numbers(listed) == sorted([this_week.number, next_week.number])


def test_a_change_over_several_days_is_on_each(client, agent, plan):
    plan("Long", start=DAY, hours=50)
    html = get(client, agent, view="week", date="2027-03-10").content.decode()
    days = html.split('data-testid="schedule-day"')[1:]
    assert [("Long" in day) for day in days] == [False, False, True, True, True, False, False]


@pytest.fixture
def spread(plan, support_group):
    """Four changes, each matching one filter."""
    payroll = BusinessServiceFactory(name="Payroll")
    ci = CIFactory(name="web-01")
    other_group = SupportGroup.objects.create(name="Network")
    return {
        "service": (payroll, plan("On payroll", services=[payroll])),
        "ci": (ci, plan("On web", cis=[ci])),
        "group": (other_group, plan("By network", group=other_group)),
        "risk": ("high", plan("Risky", risk="high")),
    }


@pytest.mark.parametrize("name", ["service", "ci", "group", "risk"])
def test_each_filter_narrows_the_schedule(client, agent, spread, name, django_assert_max_num_queries):
    value, expected = spread[name]
    client.force_login(agent)
    with django_assert_max_num_queries(25):
        response = client.get(URL, {"view": "list", "date": "2027-03-01", name: getattr(value, "pk", value)})
    assert response.status_code == 200
    assert numbers(response) == [expected.number]


def test_an_invalid_filter_draws_nothing_with_400(client, agent, plan):
    plan("Scheduled")
    response = get(client, agent, view="month", date="2027-03-01", risk="enormous")
    assert response.status_code == 400
    assert numbers(response) == []


def test_the_page_costs_the_same_whatever_the_number_of_changes(
    client, agent, plan, django_assert_max_num_queries
):
    server = CIFactory(name="db-01")
    for n in range(3):
        plan(f"Few {n}", cis=[server])
    client.force_login(agent)
    for view in ("month", "week", "list"):
        with django_assert_max_num_queries(25) as few:
            client.get(URL, {"view": view, "date": "2027-03-10"})
    for n in range(20):
        plan(f"Many {n}", cis=[CIFactory(name=f"ci-{n}")], start=DAY + timedelta(hours=n))
    for view in ("month", "week", "list"):
        with django_assert_max_num_queries(len(few.captured_queries) + 2):
            client.get(URL, {"view": view, "date": "2027-03-10"})


def test_freezes_are_drawn_on_their_days(client, agent):
    BlackoutWindow.objects.create(
        name="Quarter close", reason="Finance", starts_at=DAY, ends_at=DAY + timedelta(days=2)
    )
    html = get(client, agent, view="week", date="2027-03-10").content.decode()
    days = html.split('data-testid="schedule-day"')[1:]
    assert ["data-frozen" in day.split(">")[0] for day in days] == [
        False,
        False,
        True,
        True,
        True,
        False,
        False,
    ]
    assert "Quarter close" in html


def test_list_view_shows_each_changes_conflicts(client, agent, plan):
    server = CIFactory(name="db-01")
    first = plan("First", cis=[server])
    second = plan("Second", cis=[server], start=DAY + timedelta(hours=1))
    html = get(client, agent, view="list", date="2027-03-01").content.decode()
    assert second.number in html.split(f'data-number="{first.number}"')[1].split("</tr>")[0]


def test_a_requester_sees_only_the_changes_they_requested(client, requester, plan):
    mine = plan("Mine", requester=requester)
    plan("Theirs")
    response = get(client, requester, view="month", date="2027-03-01")
    assert numbers(response) == [mine.number]
    assert (
        'data-testid="schedule-conflicts"'
        not in get(client, requester, view="list", date="2027-03-01").content.decode()
    )


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_the_feed_address_is_created_and_replaced_from_the_page(client, agent):
    client.force_login(agent)
    assert 'data-testid="feed-url"' not in client.get(URL).content.decode()
    assert client.post(reverse("change_schedule:feed_renew")).status_code == 302
    first = CalendarFeed.objects.get(user=agent).key
    assert f"/feeds/changes/{first}.ics" in client.get(URL).content.decode()
    client.post(reverse("change_schedule:feed_renew"))
    second = CalendarFeed.objects.get(user=agent).key
    assert second != first
    assert client.get(f"/feeds/changes/{first}.ics").status_code == 404


def test_the_conflicts_panel_lists_them_and_the_override(plan, change_manager):
    server = CIFactory(name="db-01")
    mine = plan("Mine", cis=[server], status=wf.APPROVED)
    theirs = plan("Theirs", cis=[server])
    html = render_to_string("changes/_conflicts.html", conflicts_context(mine))
    assert 'data-count="1"' in html
    assert theirs.number in html
    Change.objects.filter(pk=mine.pk).update(
        conflict_override_reason="Agreed with the web team", conflict_override_by=change_manager,
        conflict_override_at=DAY,
    )  # fmt: skip
    mine.refresh_from_db()
    assert "Agreed with the web team" in render_to_string("changes/_conflicts.html", conflicts_context(mine))
    undated = change_create(actor=change_manager, title="Undated")
    assert "Plan the start" in render_to_string("changes/_conflicts.html", conflicts_context(undated))
