"""The KEDB's pages: browsing and searching it, and finding and applying a workaround from an incident."""

import re

import pytest
from django.urls import reverse

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.models import Deflection, KnownError, WorkaroundApplication
from problems.selectors import problem_of_incident
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition

from ..incidents.factories import BusinessServiceFactory


def page(record):
    return reverse("record", args=[record.number])


def hits_url(incident):
    return reverse("problems:incident_known_errors", args=[incident.number])


def apply_url(incident):
    return reverse("problems:apply_workaround", args=[incident.number])


def problems_shown(body: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" data-problem="([^"]+)"', body)


def publish(manager, agent, *, title, workaround, status, service=None, root_cause="A cause"):
    problem = problem_create(actor=agent, title=title, service=service)
    problem = record_transition(
        record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause=root_cause, workaround=workaround
    )
    known_error_publish(actor=manager, problem=problem, status=status)
    return problem


@pytest.fixture
def vpn_fix(problem_manager, agent, service):
    return publish(
        problem_manager, agent, title="VPN drops after an hour",
        workaround="Reconnect with **split tunnel**.", status=KnownError.Status.PORTAL, service=service,
    )  # fmt: skip


@pytest.fixture
def draft(problem_manager, agent, service):
    return publish(
        problem_manager, agent, title="VPN certificate expired", workaround="Renew it.",
        status=KnownError.Status.DRAFT, service=service,
    )  # fmt: skip


@pytest.fixture
def fresh(requester, service):
    """An incident with no problem yet."""
    return incident_services.incident_create(actor=requester, title="VPN drops again", service=service)


# Browsing the KEDB


def test_agents_browse_published_entries_and_managers_drafts_too(
    client, agent, problem_manager, vpn_fix, draft
):
    client.force_login(agent)
    body = client.get(reverse("problems:kedb")).content.decode()
    assert problems_shown(body, "kedb-row") == [vpn_fix.number]
    client.force_login(problem_manager)
    body = client.get(reverse("problems:kedb")).content.decode()
    assert set(problems_shown(body, "kedb-row")) == {vpn_fix.number, draft.number}
    body = client.get(reverse("problems:kedb"), {"status": "draft"}).content.decode()
    assert problems_shown(body, "kedb-row") == [draft.number]


def test_the_kedb_searches_words_and_service(client, agent, problem_manager, vpn_fix):
    printing = BusinessServiceFactory(name="Printing")
    jam = publish(
        problem_manager, agent, title="Printer jams", workaround="Open tray 2.",
        status=KnownError.Status.AGENTS, service=printing,
    )  # fmt: skip
    client.force_login(agent)
    body = client.get(reverse("problems:kedb"), {"q": "printer"}).content.decode()
    assert problems_shown(body, "kedb-row") == [jam.number]
    body = client.get(reverse("problems:kedb"), {"service": printing.pk}).content.decode()
    assert problems_shown(body, "kedb-row") == [jam.number]
    response = client.get(reverse("problems:kedb"), {"service": "nope"})
    assert response.status_code == 400
    assert problems_shown(response.content.decode(), "kedb-row") == []


def kedb_counts(body: str) -> dict[str, tuple[str, str, str]]:
    """Each entry's problem number: its deflection counts shown, accepted, filed anyway."""
    found = re.findall(
        r'data-testid="kedb-row" data-problem="([^"]+)".*?data-testid="kedb-deflections" '
        r'data-shown="(\d+)" data-accepted="(\d+)" data-filed="(\d+)"',
        body,
        flags=re.S,
    )
    return {number: tuple(counts) for number, *counts in found}


def test_each_entry_counts_what_the_portal_deflected(client, agent, vpn_fix, problem_manager, service):
    other = publish(problem_manager, agent, title="Printer jams", workaround="Open tray 2.", status="portal")
    vpn_entry = KnownError.objects.get(problem=vpn_fix)
    Deflection.objects.bulk_create(
        Deflection(known_error=vpn_entry, outcome=outcome)
        for outcome in ("shown", "shown", "accepted", "filed")
    )
    Deflection.objects.create(known_error=KnownError.objects.get(problem=other), outcome="shown")
    client.force_login(agent)
    body = client.get(reverse("problems:kedb")).content.decode()
    assert kedb_counts(body) == {vpn_fix.number: ("2", "1", "1"), other.number: ("1", "0", "0")}
    assert "in the portal: shown 2, solved it 1, filed anyway 1" in body


def test_the_kedb_page_reads_a_constant_number_of_queries(
    client, agent, problem_manager, service, django_assert_max_num_queries
):
    publish(problem_manager, agent, title="First", workaround="W", status="agents", service=service)
    client.force_login(agent)
    client.get(reverse("problems:kedb"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("problems:kedb")).status_code == 200
    for index in range(6):
        publish(
            problem_manager, agent, title=f"Entry {index}", workaround="W", status="portal", service=service
        )
    known_errors = KnownError.objects.all()
    Deflection.objects.bulk_create(
        Deflection(known_error=known_error, outcome=outcome)
        for known_error in known_errors
        for outcome in ("shown", "accepted", "filed")
    )
    with django_assert_max_num_queries(len(few.captured_queries)) as counted:
        assert client.get(reverse("problems:kedb")).status_code == 200
    assert len([q for q in counted.captured_queries if '"problems_deflection"' in q["sql"]]) == 1


# From the incident page


def test_the_incident_page_has_the_known_errors_panel_prefilled(client, agent, fresh):
    client.force_login(agent)
    body = client.get(page(fresh)).content.decode()
    assert 'data-testid="kedb-panel"' in body
    assert f'value="{fresh.title}"' in body
    assert f'hx-get="{hits_url(fresh)}"' in body


def test_the_panel_shows_the_incidents_problem(client, agent, incident, problem):
    client.force_login(agent)
    body = client.get(page(incident)).content.decode()
    assert 'data-testid="incident-problem"' in body
    assert problem.number in body
    assert 'data-testid="raise-problem"' not in body


def test_the_panel_finds_published_workarounds_only(client, agent, fresh, vpn_fix, draft, service):
    client.force_login(agent)
    response = client.get(hits_url(fresh), {"q": "VPN", "service": service.pk}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert problems_shown(body, "kedb-hit") == [vpn_fix.number]
    assert "split tunnel" in body
    assert 'data-testid="apply-and-resolve"' in body
    body = client.get(hits_url(fresh), {"q": "printer"}).content.decode()
    assert 'data-testid="kedb-none"' in body
    assert client.get(hits_url(fresh), {"ci": "x"}).status_code == 400


def test_the_panels_search_reads_a_constant_number_of_queries(
    client, agent, problem_manager, fresh, service, django_assert_max_num_queries
):
    publish(problem_manager, agent, title="VPN one", workaround="W", status="agents", service=service)
    client.force_login(agent)
    with django_assert_max_num_queries(12) as few:
        client.get(hits_url(fresh), {"q": "VPN"})
    for index in range(4):
        publish(
            problem_manager, agent, title=f"VPN {index}", workaround="W", status="portal", service=service
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(hits_url(fresh), {"q": "VPN"}).content.decode()
    assert len(problems_shown(body, "kedb-hit")) == 5


def test_applying_a_workaround_notes_it_and_links_the_problem(client, agent, fresh, vpn_fix):
    known_error = vpn_fix.known_error
    client.force_login(agent)
    response = client.post(apply_url(fresh), {"known_error": known_error.pk})
    assert response.status_code == 302
    assert response["Location"] == page(fresh)
    assert problem_of_incident(fresh) == vpn_fix
    assert WorkaroundApplication.objects.filter(incident=fresh, known_error=known_error).exists()
    fresh.refresh_from_db()
    assert fresh.status != Incident.Status.RESOLVED
    body = client.get(hits_url(fresh), {"q": "VPN"}).content.decode()
    assert 'data-testid="kedb-applied"' in body
    # Twice is refused: the incident's page with why.
    response = client.post(apply_url(fresh), {"known_error": known_error.pk})
    assert response.status_code == 409
    assert WorkaroundApplication.objects.count() == 1


def test_apply_and_resolve_resolves_with_the_workaround_code(client, agent, fresh, vpn_fix):
    incident_services.incident_assign(record=fresh, actor=agent, assignee=agent)
    client.force_login(agent)
    response = client.post(apply_url(fresh), {"known_error": vpn_fix.known_error.pk, "resolve": "1"})
    assert response.status_code == 302
    fresh.refresh_from_db()
    assert (fresh.status, fresh.resolution_code) == (
        Incident.Status.RESOLVED,
        Incident.ResolutionCode.WORKAROUND,
    )


def test_a_draft_or_unknown_entry_cannot_be_applied(client, agent, fresh, draft):
    client.force_login(agent)
    assert client.post(apply_url(fresh), {"known_error": draft.known_error.pk}).status_code == 404
    assert client.post(apply_url(fresh), {"known_error": "999999"}).status_code == 404
    assert client.post(apply_url(fresh), {}).status_code == 404
    assert not WorkaroundApplication.objects.exists()


def test_a_retired_entry_seen_by_its_manager_is_refused_with_400(client, problem_manager, fresh, vpn_fix):
    known_error_publish(actor=problem_manager, problem=vpn_fix, status=KnownError.Status.RETIRED)
    client.force_login(problem_manager)
    response = client.post(apply_url(fresh), {"known_error": vpn_fix.known_error.pk})
    assert response.status_code == 400
    assert not WorkaroundApplication.objects.exists()


def test_requesters_cannot_apply_workarounds(client, requester, fresh, vpn_fix):
    client.force_login(requester)
    assert client.post(apply_url(fresh), {"known_error": vpn_fix.known_error.pk}).status_code == 404
    body = client.get(page(fresh)).content.decode()
    assert 'data-testid="kedb-panel"' not in body
    assert not WorkaroundApplication.objects.exists()
