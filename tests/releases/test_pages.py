"""The release pages of the workspace: who reaches them, the menu, the list and raising a release."""

import re

import pytest
from django.db import connection
from django.urls import reverse

from releases import workflow as wf
from releases.models import Release
from releases.selectors import release_changes
from releases.services.lifecycle import release_create
from servicedesk import roles

from ..factories import UserFactory
from ..formdata import form_data
from .conftest import approved_change

pytestmark = pytest.mark.django_db


def url(name, *args):
    return reverse(f"releases:{name}", args=args)


def shown(body: str, testid: str = "release-row") -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-number="([^"]+)"', body)


@pytest.fixture
def cab_member(db, organisation):
    """Sees releases, raises none."""
    return UserFactory(username="cabonly", roles=[roles.CAB_MEMBER], organisation=organisation)


# Who reaches the pages


def test_the_menu_offers_releases_to_the_workspace_and_new_to_who_may_raise_one(
    client, agent, cab_member, requester
):
    client.force_login(agent)
    body = client.get("/").content.decode()
    assert 'data-testid="nav-releases"' in body
    assert 'data-testid="nav-release-new"' in body
    client.force_login(cab_member)
    body = client.get("/").content.decode()
    assert 'data-testid="nav-releases"' in body
    assert 'data-testid="nav-release-new"' not in body
    client.force_login(requester)
    assert 'data-testid="nav-releases"' not in client.get("/").content.decode()


def test_requesters_find_no_workspace_page_of_releases(client, requester, release):
    client.force_login(requester)
    for address in (url("list"), url("new"), reverse("record", args=[release.number])):
        assert client.get(address).status_code == 404, address
    assert client.post(url("new"), {"title": "Let me in", "release_version": "1"}).status_code == 404
    assert Release.objects.count() == 1


def test_a_cab_member_reads_the_list_but_raises_nothing(client, cab_member, release):
    client.force_login(cab_member)
    response = client.get(url("list"))
    assert response.status_code == 200
    assert shown(response.content.decode()) == [release.number]
    assert 'data-testid="new-release"' not in response.content.decode()
    assert client.get(url("new")).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(url("list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The list


@pytest.fixture
def spread(release_manager, agent, support_group, service):
    """Releases differing in status, type, group, manager and service."""
    other = UserFactory(username="rm2", roles=[roles.AGENT, roles.RELEASE_MANAGER])
    mine = release_create(actor=release_manager, title="Mine", release_version="1", assignee=release_manager)
    others = release_create(
        actor=release_manager, title="Theirs", release_version="2", assignee=other, release_type="major"
    )
    grouped = release_create(
        actor=agent, title="Grouped payroll", release_version="3", support_group=support_group,
        services=[service],
    )  # fmt: skip
    closed = release_create(actor=agent, title="Long done", release_version="0.9")
    Release.objects.filter(pk=closed.pk).update(status=wf.CLOSED)
    return {"mine": mine, "others": others, "grouped": grouped, "closed": closed, "manager": other}


def test_the_tabs_and_filters_split_the_releases(client, release_manager, spread, support_group, service):
    client.force_login(release_manager)

    def rows(view, **filters):
        return set(shown(client.get(url("list"), {"view": view, **filters}).content.decode()))

    s = spread
    assert rows("open") == {s["mine"].number, s["others"].number, s["grouped"].number}
    assert rows("mine") == {s["mine"].number}
    assert s["closed"].number in rows("all")
    assert rows("all", status=wf.CLOSED) == {s["closed"].number}
    assert rows("all", release_type="major") == {s["others"].number}
    assert rows("all", support_group=support_group.pk) == {s["grouped"].number}
    assert rows("all", assignee=s["manager"].pk) == {s["others"].number}
    assert rows("all", service=service.pk) == {s["grouped"].number}
    assert rows("all", q="payroll") == {s["grouped"].number}
    assert rows("all", q=s["closed"].number) == {s["closed"].number}


def test_an_invalid_filter_lists_nothing_with_400(client, agent, spread):
    client.force_login(agent)
    response = client.get(url("list"), {"view": "all", "status": "nonsense"})
    assert response.status_code == 400
    assert shown(response.content.decode()) == []
    assert 'data-testid="filter-errors"' in response.content.decode()


def test_the_list_runs_a_constant_number_of_queries(client, agent, spread, django_assert_max_num_queries):
    client.force_login(agent)
    client.get(url("list"), {"view": "all"})  # warm the session and caches
    connection.queries_log.clear()  # a full log (its length is capped) would miscount
    with django_assert_max_num_queries(20) as few:
        client.get(url("list"), {"view": "all"})
    baseline = len(few.captured_queries)
    for n in range(10):
        release_create(actor=agent, title=f"More {n}", release_version=str(n))
    connection.queries_log.clear()
    with django_assert_max_num_queries(baseline):
        response = client.get(url("list"), {"view": "all"})
    assert len(shown(response.content.decode())) == 14


# Raising a release


def test_raising_a_release_with_its_changes_and_targets(
    client, release_manager, agent, test_lead, service, app_servers, support_group
):
    first = approved_change(agent, "Checkout", app_servers[:1])
    second = approved_change(agent, "Basket", app_servers[1:2])
    client.force_login(release_manager)
    page = client.get(url("new"))
    assert page.status_code == 200
    data = form_data(page.content, "release-new-form")
    data.update(
        title="Spring", release_version="2.0", release_type="major", services=[str(service.pk)],
        target_cis=[str(ci.pk) for ci in app_servers[:2]], changes=f"{first.number}, {second.number}",
        support_group=str(support_group.pk), assignee=str(release_manager.pk), test_lead=str(test_lead.pk),
        planned_start="2030-03-01T09:00", planned_end="2030-03-01T13:00", backout_plan="Redeploy 1.0.",
    )  # fmt: skip

    response = client.post(url("new"), data)

    record = Release.objects.get(title="Spring")
    assert response.status_code == 302
    assert response["Location"] == reverse("record", args=[record.number])
    assert (record.release_version, record.release_type, record.status) == ("2.0", "major", wf.PLANNING)
    assert (record.assignee, record.test_lead, record.support_group) == (
        release_manager,
        test_lead,
        support_group,
    )
    assert list(record.services.all()) == [service]
    assert set(record.target_cis.all()) == set(app_servers[:2])
    assert list(release_changes(record)) == [first, second]
    again = client.post(url("new"), data)
    assert again.status_code == 302
    assert Release.objects.count() == 1


def test_a_change_that_is_not_approved_is_refused_and_nothing_is_raised(client, release_manager, agent):
    from changes.services import change_create

    draft = change_create(actor=agent, title="Still a draft")
    client.force_login(release_manager)
    data = {"title": "Spring", "release_version": "2.0", "release_type": "minor", "changes": draft.number}

    response = client.post(url("new"), data)

    assert response.status_code == 409
    assert "Only an approved or scheduled change" in response.content.decode()
    assert not Release.objects.exists()


def test_a_release_without_a_name_or_an_unknown_change_is_a_400(client, release_manager):
    client.force_login(release_manager)
    assert client.post(url("new"), {"release_version": "1", "release_type": "minor"}).status_code == 400
    response = client.post(
        url("new"), {"title": "X", "release_version": "1", "release_type": "minor", "changes": "CHG999999"}
    )
    assert response.status_code == 400
    assert "CHG999999" in response.content.decode()
    assert not Release.objects.exists()
