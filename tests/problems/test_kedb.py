"""The known error database: publishing a problem's known error, and applying its workaround."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.models import KnownError, WorkaroundApplication
from problems.permissions import ProblemPolicy
from problems.selectors import problem_of_incident
from problems.services import known_error_publish, known_error_update, problem_create, workaround_apply
from servicedesk.errors import Conflict, PermissionDenied, StaleWrite
from servicedesk.records.transitions import record_transition


@pytest.fixture
def known(agent, problem):
    return record_transition(
        record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause="Idle timeout 60 s",
        workaround="Disconnect and **reconnect**.",
    )  # fmt: skip


def test_a_problem_publishes_once_its_error_is_known(problem_manager, problem):
    with pytest.raises(Conflict):
        known_error_publish(actor=problem_manager, problem=problem, status=KnownError.Status.AGENTS)


def test_only_problem_managers_publish(agent, known):
    with pytest.raises(PermissionDenied):
        known_error_publish(actor=agent, problem=known, status=KnownError.Status.AGENTS)


def test_publishing_makes_the_entry_from_the_problem(problem_manager, known, service):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.PORTAL)
    assert (entry.title, entry.root_cause, entry.status) == (known.title, "Idle timeout 60 s", "portal")
    assert entry.workaround == "Disconnect and **reconnect**."
    assert list(entry.services.all()) == [service]
    assert entry.published_at is not None
    again = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.RETIRED)
    assert again.pk == entry.pk
    assert again.retired_at is not None


def test_who_sees_which_entries(problem_manager, agent, requester, known):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.DRAFT)
    assert list(ProblemPolicy.known_errors_visible_to(problem_manager)) == [entry]
    assert not ProblemPolicy.known_errors_visible_to(agent).exists()
    known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    assert ProblemPolicy.known_errors_visible_to(agent).exists()
    assert not ProblemPolicy.known_errors_visible_to(requester).exists()
    known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.PORTAL)
    assert list(ProblemPolicy.known_errors_visible_to(requester)) == [entry]


def test_editing_an_entry_checks_its_version(problem_manager, agent, known):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    with pytest.raises(PermissionDenied):
        known_error_update(actor=agent, known_error=entry, title="Mine")
    edited = known_error_update(
        actor=problem_manager, known_error=entry, expected_version=entry.version, title="VPN idle drop"
    )
    assert edited.title == "VPN idle drop"
    with pytest.raises(StaleWrite):
        known_error_update(
            actor=problem_manager, known_error=entry, expected_version=entry.version - 1, title="Old"
        )


def test_applying_a_workaround_notes_links_counts_and_may_resolve(
    problem_manager, agent, requester, service, known, support_group
):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    fresh = incident_services.incident_create(actor=requester, title="VPN gone again", service=service)
    workaround_apply(actor=agent, incident=fresh, known_error=entry, resolve=True)
    fresh.refresh_from_db()
    assert problem_of_incident(fresh) == known
    assert (fresh.status, fresh.resolution_code) == ("resolved", Incident.ResolutionCode.WORKAROUND)
    assert fresh.resolution_notes == entry.workaround
    assert WorkaroundApplication.objects.filter(known_error=entry).count() == 1
    with pytest.raises(Conflict):
        workaround_apply(actor=agent, incident=fresh, known_error=entry)


def test_a_workaround_needs_a_published_entry_with_a_workaround(
    problem_manager, agent, requester, known, service
):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.DRAFT)
    fresh = incident_services.incident_create(actor=requester, title="VPN", service=service)
    with pytest.raises(ValidationError):
        workaround_apply(actor=agent, incident=fresh, known_error=entry)
    with pytest.raises(PermissionDenied):
        workaround_apply(actor=requester, incident=fresh, known_error=entry)


def test_an_incident_of_another_problem_is_refused(problem_manager, agent, requester, known, service):
    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    fresh = incident_services.incident_create(actor=requester, title="VPN", service=service)
    problem_create(actor=agent, title="Other cause", incidents=[fresh])
    with pytest.raises(Conflict):
        workaround_apply(actor=agent, incident=fresh, known_error=entry)
    assert not WorkaroundApplication.objects.exists()


def test_the_kedb_finds_by_words_title_first_and_counts_use(
    problem_manager, agent, requester, known, service
):
    from problems.selectors import known_error_search, known_error_usage

    entry = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.AGENTS)
    other = problem_create(
        actor=agent, title="Printer jams", symptoms="After the VPN update the printer jams."
    )
    other = record_transition(
        record=other, actor=agent, to=wf.KNOWN_ERROR, root_cause="Driver", workaround="Reinstall"
    )
    second = known_error_publish(actor=problem_manager, problem=other, status=KnownError.Status.AGENTS)
    assert list(known_error_search(user=agent, text="vpn")) == [entry, second]  # the title's match first
    assert list(known_error_search(user=agent, text="vpn", service=service)) == [entry]
    assert not known_error_search(user=requester, text="vpn").exists()
    fresh = incident_services.incident_create(actor=requester, title="VPN", service=service)
    workaround_apply(actor=agent, incident=fresh, known_error=entry)
    assert known_error_usage([entry, second]) == {entry.pk: {"applied": 1, "reopened": 0}}
