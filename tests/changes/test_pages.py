"""The change pages of the workspace: who reaches them, the list, raising a change (normal, emergency,
from the catalogue) and the catalogue."""

import re
import zoneinfo
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.services import change_create, change_from_standard
from servicedesk import roles

from ..factories import UserFactory
from ..formdata import form_data
from ..incidents.factories import BusinessServiceFactory

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"changes:{name}", args=args)


def page(record):
    return reverse("record", args=[record.number])


def shown(body: str, testid: str, attr: str = "data-number") -> list[str]:
    return re.findall(rf'data-testid="{testid}" {attr}="([^"]+)"', body)


@pytest.fixture
def cab_member(db, organisation):
    """A CAB member and nothing else: sees changes, raises none."""
    return UserFactory(username="cabonly", roles=[roles.CAB_MEMBER], organisation=organisation)


# Who reaches the pages


def test_the_menu_offers_changes_to_the_workspace_only(client, agent, requester):
    client.force_login(agent)
    body = client.get("/").content.decode()
    for testid in ("nav-changes", "nav-change-agenda", "nav-change-schedule"):
        assert f'data-testid="{testid}"' in body
    client.force_login(requester)
    assert 'data-testid="nav-changes"' not in client.get("/").content.decode()


def test_requesters_find_no_workspace_page_of_changes(client, requester, change, standard):
    client.force_login(requester)
    for address in (url("list"), url("new"), url("standard"), url("success"), page(change)):
        assert client.get(address).status_code == 404, address
    assert client.post(url("new"), {"title": "Let me in", "impact": 3, "urgency": 2}).status_code == 404
    assert Change.objects.count() == 1


def test_a_cab_member_reads_the_list_but_raises_nothing(client, cab_member, change):
    client.force_login(cab_member)
    response = client.get(url("list"))
    assert response.status_code == 200
    assert shown(response.content.decode(), "change-row") == [change.number]
    assert 'data-testid="new-change"' not in response.content.decode()
    assert client.get(url("new")).status_code == 404
    assert client.get(url("standard")).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(url("list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The list


def test_the_tabs_split_the_changes(client, agent, change_manager, change, service):
    emergency = change_create(
        actor=agent, title="Stop the leak", change_type=wf.EMERGENCY, assignee=change_manager
    )
    awaiting = change_create(actor=agent, title="Awaits the CAB")
    scheduled = change_create(actor=agent, title="On the calendar")
    closed = change_create(actor=agent, title="Done long ago")
    Change.objects.filter(pk=awaiting.pk).update(status=wf.AWAITING_APPROVAL)
    Change.objects.filter(pk=scheduled.pk).update(status=wf.SCHEDULED)
    Change.objects.filter(pk=closed.pk).update(status=wf.CLOSED)
    client.force_login(change_manager)

    def tab(view, **filters):
        return set(shown(client.get(url("list"), {"view": view, **filters}).content.decode(), "change-row"))

    assert tab("open") == {change.number, emergency.number, awaiting.number, scheduled.number}
    assert tab("mine") == {emergency.number}
    assert tab("awaiting") == {awaiting.number}
    assert tab("scheduled") == {scheduled.number}
    assert closed.number in tab("all")
    assert tab("all", change_type=wf.EMERGENCY) == {emergency.number}
    assert tab("all", status=wf.CLOSED) == {closed.number}
    assert tab("all", service=service.pk) == {change.number}
    assert tab("all", q="payroll") == {change.number}
    assert tab("all", q=change.number) == {change.number}


def test_the_list_filters_by_risk_group_and_manager(client, agent, change_manager, change, support_group):
    other = change_create(actor=agent, title="Other", support_group=support_group, assignee=change_manager)
    Change.objects.filter(pk=other.pk).update(risk_level="high")
    client.force_login(agent)

    def rows(**filters):
        return shown(client.get(url("list"), {"view": "all", **filters}).content.decode(), "change-row")

    assert rows(risk_level="high") == [other.number]
    assert rows(support_group=support_group.pk) == [other.number]
    assert rows(assignee=change_manager.pk) == [other.number]


def test_an_invalid_filter_lists_nothing_and_says_so(client, agent, change):
    client.force_login(agent)
    response = client.get(url("list"), {"risk_level": "apocalyptic"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert shown(body, "change-row") == []


def test_the_list_reads_a_constant_number_of_queries(
    client, agent, change_manager, service, server, support_group, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(url("list"))
    with django_assert_max_num_queries(14) as few:
        assert client.get(url("list"), {"view": "all"}).status_code == 200
    for index in range(15):
        change_create(
            actor=agent, title=f"Change {index}", services=[service], affected_cis=[server],
            support_group=support_group, assignee=change_manager,
        )  # fmt: skip
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url("list"), {"view": "all"})
    assert len(shown(response.content.decode(), "change-row")) == 15


# Raising a change


def test_an_agent_raises_a_normal_change_planned_in_their_time_zone(client, agent, service, server, plans):
    agent.time_zone = "Asia/Shanghai"
    agent.save(update_fields=["time_zone"])
    client.force_login(agent)
    data = form_data(client.get(url("new")).content, "change-new-form")
    data.update(
        title="Patch payroll", reason="CVE", impact="2", urgency="2", services=[str(service.pk)],
        affected_cis=[str(server.pk)], planned_start="2030-03-01T22:00", planned_end="2030-03-01T23:30",
        **plans,
    )  # fmt: skip
    response = client.post(url("new"), data)
    record = Change.objects.get(title="Patch payroll")
    assert response.status_code == 302
    assert response["Location"] == page(record)
    assert (record.change_type, record.status, record.requester) == (wf.NORMAL, wf.DRAFT, agent)
    shanghai = zoneinfo.ZoneInfo("Asia/Shanghai")
    assert record.planned_start == datetime(2030, 3, 1, 22, 0, tzinfo=shanghai)
    assert record.planned_end - record.planned_start == timedelta(minutes=90)
    assert list(record.services.all()) == [service]
    assert list(record.affected_cis.all()) == [server]


def test_an_emergency_change_starts_submitted(client, agent):
    client.force_login(agent)
    data = form_data(client.get(url("new")).content, "change-new-form")
    data.update(title="Stop the bleeding", change_type=wf.EMERGENCY)
    assert client.post(url("new"), data).status_code == 302
    assert Change.objects.get(title="Stop the bleeding").status == wf.SUBMITTED


def test_a_second_submission_of_the_same_form_raises_one_change(client, agent):
    client.force_login(agent)
    data = form_data(client.get(url("new")).content, "change-new-form")
    assert data["form_token"]
    data.update(title="Clicked twice")
    first = client.post(url("new"), data)
    second = client.post(url("new"), data)
    assert Change.objects.filter(title="Clicked twice").count() == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    fresh = form_data(client.get(url("new")).content, "change-new-form")
    assert fresh["form_token"] != data["form_token"]
    fresh.update(title="Clicked twice")
    client.post(url("new"), fresh)
    assert Change.objects.filter(title="Clicked twice").count() == 2


def test_a_refused_form_keeps_its_token_for_the_corrected_one(client, agent):
    client.force_login(agent)
    data = form_data(client.get(url("new")).content, "change-new-form")
    data.update(title="Backwards", planned_start="2030-03-01T22:00", planned_end="2030-03-01T21:00")
    response = client.post(url("new"), data)
    assert response.status_code == 400
    assert "The planned end must be after the planned start." in response.content.decode()
    again = form_data(response.content, "change-new-form")
    assert again["form_token"] == data["form_token"]
    again["planned_end"] = "2030-03-01T23:00"
    assert client.post(url("new"), again).status_code == 302
    assert Change.objects.filter(title="Backwards").count() == 1


def test_a_change_without_a_title_is_refused_with_the_field_error(client, agent):
    client.force_login(agent)
    response = client.post(url("new"), {"title": "", "impact": 3, "urgency": 2, "change_type": wf.NORMAL})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Change.objects.exists()


def test_only_change_managers_are_offered_as_managers(client, agent, change_manager):
    client.force_login(agent)
    data = form_data(client.get(url("new")).content, "change-new-form")
    data.update(title="Mine to manage", assignee=str(agent.pk))
    response = client.post(url("new"), data)
    assert response.status_code == 400
    data["assignee"] = str(change_manager.pk)
    assert client.post(url("new"), data).status_code == 302
    assert Change.objects.get(title="Mine to manage").assignee == change_manager


# The catalogue and standard changes


def test_the_catalogue_offers_each_active_standard_change(client, agent, standard):
    retired = type(standard).objects.create(
        name="Retired", implementation_plan="x", test_plan="y", backout_plan="z", is_active=False
    )
    client.force_login(agent)
    body = client.get(url("standard")).content.decode()
    assert shown(body, "standard-change", "data-id") == [str(standard.pk)]
    assert str(retired.pk) not in shown(body, "standard-change", "data-id")
    assert f'href="{url("new")}?standard={standard.pk}"' in body


def test_a_standard_change_asks_only_title_cis_and_start(client, agent, standard, server):
    client.force_login(agent)
    response = client.get(url("new"), {"standard": standard.pk})
    data = form_data(response.content, "change-new-form")
    body = response.content.decode()
    asked = set(
        re.findall(
            r'<(?:input|select|textarea)[^>]* name="([^"]+)"',
            body.split('data-testid="change-new-form"')[1].split("</form>")[0],
        )
    )
    assert asked - {"q"} == {
        "csrfmiddlewaretoken",
        "standard",
        "form_token",
        "title",
        "affected_cis",
        "planned_start",
    }
    start = (timezone.localtime() + timedelta(days=2)).replace(second=0, microsecond=0)
    data.update(affected_cis=[str(server.pk)], planned_start=start.strftime("%Y-%m-%dT%H:%M"))
    response = client.post(f"{url('new')}?standard={standard.pk}", data)
    record = Change.objects.get(standard_change=standard)
    assert response["Location"] == page(record)
    assert (record.change_type, record.status, record.title) == (wf.STANDARD, wf.SUBMITTED, standard.name)
    assert record.planned_end - record.planned_start == timedelta(minutes=standard.duration_minutes)
    assert record.backout_plan == standard.backout_plan


def test_an_unknown_or_retired_standard_change_is_404(client, agent, standard):
    client.force_login(agent)
    assert client.get(url("new"), {"standard": "999999"}).status_code == 404
    standard.is_active = False
    standard.save()
    assert client.get(url("new"), {"standard": standard.pk}).status_code == 404


def test_the_list_marks_an_emergency_awaiting_approval_after_the_fact(client, agent, standard):
    record = change_from_standard(actor=agent, standard=standard)
    emergency = change_create(actor=agent, title="Hotfix", change_type=wf.EMERGENCY)
    Change.objects.filter(pk=emergency.pk).update(retro_approval=Change.RetroApproval.PENDING)
    client.force_login(agent)
    body = client.get(url("list")).content.decode()
    assert {record.number, emergency.number} <= set(shown(body, "change-row"))
    assert body.count("Approval due") == 1


def test_a_new_service_is_filterable(client, agent):
    service = BusinessServiceFactory(name="Mail")
    record = change_create(actor=agent, title="Move mail", services=[service])
    client.force_login(agent)
    body = client.get(url("list"), {"service": service.pk}).content.decode()
    assert shown(body, "change-row") == [record.number]
