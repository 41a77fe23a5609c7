"""A CI's page lists the open records naming it, of every kind (`servicedesk.records.cis`)."""

import re

import pytest
from django.urls import reverse

from changes.services.lifecycle import change_create
from problems.services.lifecycle import problem_create
from releases.services.lifecycle import release_create
from servicedesk import roles
from servicedesk.kinds import kind_of
from servicedesk.records import cis as registry
from servicedesk.records.cis import records_touching_ci

from .cmdb.factories import CIFactory
from .factories import UserFactory
from .incidents.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(organisation):
    """One person who raises every kind of record."""
    return UserFactory(
        username="lead",
        roles=[roles.AGENT, roles.PROBLEM_MANAGER, roles.CHANGE_MANAGER, roles.RELEASE_MANAGER],
        organisation=organisation,
    )


@pytest.fixture
def server():
    return CIFactory(name="app-01", serial_number="SN-777")


def _incident(ci, *, status="new", priority=3, **fields):
    record = IncidentFactory(status=status, priority=priority, **fields)
    record.affected_cis.add(ci)
    return record


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="ci-record">\s*<td[^>]*><a href="[^"]+">(\w+)</a>', html)


def test_the_ci_page_lists_open_records_of_every_kind_with_links(client, agent, manager, server):
    incident = _incident(server, title="App is slow")
    problem = problem_create(actor=manager, title="App leaks memory")
    problem.contributing_cis.add(server)
    change = change_create(actor=manager, title="Patch the app", affected_cis=[server])
    release = release_create(actor=manager, title="App 2.0", release_version="2.0", target_cis=[server])
    client.force_login(agent)

    html = client.get(reverse("cmdb:ci_detail", args=[server.pk])).content.decode()

    assert rows(html) == [incident.number, problem.number, change.number, release.number]
    for record in (incident, problem, change, release):
        assert f'href="{reverse(kind_of(record).url_name, args=[record.number])}"' in html
    section = html[html.index('data-testid="ci-records"') :]
    assert "App is slow" in section
    assert "Contributing" in section
    assert "Target" in section
    assert str(incident.get_status_display()) in section
    assert str(incident.get_priority_display()) in section


def test_problem_fields_give_one_row_with_both_roles(manager, server):
    problem = problem_create(actor=manager, title="Both", affected_cis=[server])
    problem.contributing_cis.add(server)

    [group] = records_touching_ci(ci_id=server.pk, user=manager)

    assert [item.record for item in group.records] == [problem]
    assert [str(role) for role in group.records[0].roles] == ["Affected", "Contributing"]


def test_closed_and_cancelled_records_are_left_out(agent, server):
    open_one = _incident(server)
    _incident(server, status="closed", resolution_code="solved")
    _incident(server, status="cancelled")

    groups = records_touching_ci(ci_id=server.pk, user=agent)

    assert [[item.record for item in group.records] for group in groups] == [[open_one]]


def test_records_of_other_cis_are_left_out(agent, server):
    _incident(CIFactory())
    assert records_touching_ci(ci_id=server.pk, user=agent) == []


def test_the_most_urgent_comes_first(agent, server):
    low = _incident(server, priority=4)
    high = _incident(server, priority=1)
    [group] = records_touching_ci(ci_id=server.pk, user=agent)
    assert [item.record for item in group.records] == [high, low]


def test_only_records_the_viewer_may_see_are_listed(requester, agent, server):
    mine = _incident(server, requester=requester)
    _incident(server)
    [group] = records_touching_ci(ci_id=server.pk, user=requester)
    assert [item.record for item in group.records] == [mine]
    assert len(records_touching_ci(ci_id=server.pk, user=agent)[0].records) == 2


def test_a_kind_lists_at_most_its_share_and_counts_the_rest(agent, server, monkeypatch):
    monkeypatch.setattr(registry, "PER_KIND", 2)
    for _n in range(5):
        _incident(server)
    [group] = records_touching_ci(ci_id=server.pk, user=agent)
    assert (len(group.records), group.more) == (2, 3)


def test_a_ci_without_open_records_says_so(client, agent, server):
    client.force_login(agent)
    html = client.get(reverse("cmdb:ci_detail", args=[server.pk])).content.decode()
    assert 'data-testid="ci-records-none"' in html


def test_the_ci_page_queries_do_not_grow_with_its_records(
    client, agent, manager, server, django_assert_max_num_queries
):
    client.force_login(agent)
    address = reverse("cmdb:ci_detail", args=[server.pk])
    counts = []
    for more in (1, 14):
        for n in range(more):
            _incident(server, title=f"Slow {n}")
            change_create(actor=manager, title=f"Patch {n}", affected_cis=[server])
        client.get(address)
        with django_assert_max_num_queries(30) as captured:
            response = client.get(address)
        counts.append(len(captured))
        assert len(rows(response.content.decode())) == 2 * (1 if more == 1 else 15)
    assert counts[0] == counts[1]
