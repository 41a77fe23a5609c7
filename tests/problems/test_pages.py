"""The problem pages of the workspace: the list, raising a problem, the record page and its actions."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from incidents import services as incident_services
from problems import workflow as wf
from problems.models import Deflection, KnownError, Problem
from problems.selectors import problem_of_incident
from problems.services import known_error_publish, problem_create, problem_link_incident, problem_update
from servicedesk import roles
from servicedesk.records.transitions import record_transition

from ..factories import UserFactory
from ..formdata import form_data
from ..incidents.factories import BusinessServiceFactory


def page(record):
    return reverse("record", args=[record.number])


def url(name, record=None):
    return reverse(f"problems:{name}", args=[record.number] if record is not None else [])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def shown(body: str, testid: str, attr: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}" {attr}="([^"]+)"', body)


@pytest.fixture
def known(agent, problem):
    return record_transition(
        record=problem, actor=agent, to=wf.KNOWN_ERROR, root_cause="Idle timeout 60 s",
        workaround="Disconnect and reconnect.",
    )  # fmt: skip


# Who sees the pages


def test_the_menu_offers_problems_and_known_errors_to_agents_only(client, agent, requester):
    client.force_login(agent)
    body = client.get("/").content.decode()
    assert 'data-testid="nav-problems"' in body
    assert 'data-testid="nav-known-errors"' in body
    client.force_login(requester)
    body = client.get("/").content.decode()
    assert 'data-testid="nav-problems"' not in body


def test_requesters_find_no_problem_page(client, requester, problem, incident):
    client.force_login(requester)
    for address in (url("list"), url("new"), url("kedb"), page(problem)):
        assert client.get(address).status_code == 404, address
    for address in (url("edit", problem), url("transition", problem), url("comment", problem)):
        assert client.post(address, {}).status_code == 404, address
    assert client.post(url("known_error_status", problem), {"status": "portal"}).status_code == 404
    assert client.post(url("from_queue"), {"bulk-records": [incident.pk]}).status_code == 404
    hits = reverse("problems:incident_known_errors", args=[incident.number])
    assert client.get(hits).status_code == 404
    assert Problem.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, problem):
    response = client.get(url("list"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# The list


def test_the_list_shows_open_problems_and_filters_them(client, agent, problem, support_group):
    other_service = BusinessServiceFactory(name="Printing")
    printers = problem_create(actor=agent, title="Printers jam", service=other_service)
    done = problem_create(actor=agent, title="Old cause", service=other_service)
    record_transition(record=done, actor=agent, to=wf.INVESTIGATING)
    record_transition(record=Problem.objects.get(pk=done.pk), actor=agent, to=wf.RESOLVED, fix="Replaced")
    client.force_login(agent)

    body = client.get(url("list")).content.decode()
    assert set(shown(body, "problem-row", "data-number")) == {problem.number, printers.number}
    body = client.get(url("list"), {"view": "all"}).content.decode()
    assert done.number in shown(body, "problem-row", "data-number")
    body = client.get(url("list"), {"service": other_service.pk}).content.decode()
    assert shown(body, "problem-row", "data-number") == [printers.number]
    body = client.get(url("list"), {"q": "printers"}).content.decode()
    assert shown(body, "problem-row", "data-number") == [printers.number]
    body = client.get(url("list"), {"support_group": support_group.pk}).content.decode()
    assert shown(body, "problem-row", "data-number") == [problem.number]


def test_an_invalid_filter_lists_nothing_and_says_so(client, agent, problem):
    client.force_login(agent)
    response = client.get(url("list"), {"support_group": "999999"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert shown(body, "problem-row", "data-number") == []


def test_the_list_reads_a_constant_number_of_queries(client, agent, service, django_assert_max_num_queries):
    client.force_login(agent)
    problem_create(actor=agent, title="First", service=service)
    client.get(url("list"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(url("list")).status_code == 200
    for index in range(15):
        problem_create(actor=agent, title=f"Cause {index}", service=service, assignee=agent)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url("list"), {"view": "all"}).status_code == 200


# Raising a problem


def test_an_agent_raises_a_problem(client, agent, service):
    client.force_login(agent)
    response = client.post(
        url("new"), {"title": "Mail bounces", "impact": 2, "urgency": 1, "service": service.pk}
    )
    record = Problem.objects.get(title="Mail bounces")
    assert response.status_code == 302
    assert response["Location"] == page(record)
    assert (record.priority, record.service, record.requester) == (2, service, agent)


def test_a_problem_without_a_title_is_refused_with_the_field_error(client, agent):
    client.force_login(agent)
    response = client.post(url("new"), {"title": "", "impact": 3, "urgency": 2})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Problem.objects.exists()


def test_raising_from_an_incident_prefills_and_links_it(client, agent, incident):
    client.force_login(agent)
    response = client.get(url("new"), {"incident": incident.number})
    assert response.status_code == 200
    data = form_data(response.content, "problem-new-form")
    assert data["title"] == incident.title
    assert data["incident"] == incident.number
    assert client.post(url("new"), data).status_code == 302
    record = Problem.objects.get()
    assert problem_of_incident(incident) == record


def test_raising_from_an_incident_of_another_problem_is_refused(client, agent, incident, problem):
    client.force_login(agent)
    data = form_data(client.get(url("new"), {"incident": incident.number}).content, "problem-new-form")
    response = client.post(url("new"), data)
    assert response.status_code == 400
    assert Problem.objects.count() == 1


def test_the_incident_page_offers_to_raise_a_problem(client, agent, incident):
    client.force_login(agent)
    body = client.get(page(incident)).content.decode()
    assert f'href="{url("new")}?incident={incident.number}"' in body


# The queue's bulk action


def test_the_queue_offers_a_problem_from_the_selected_incidents(client, agent, requester, service):
    first = incident_services.incident_create(actor=requester, title="VPN drops", service=service)
    second = incident_services.incident_create(actor=requester, title="VPN slow", service=service)
    client.force_login(agent)
    body = client.get(reverse("incidents:queue"), {"view": "all"}).content.decode()
    assert f'formaction="{url("from_queue")}"' in body
    response = client.post(url("from_queue"), {"bulk-records": [first.pk, second.pk], "next": "/desk/queue/"})
    record = Problem.objects.get()
    assert response["Location"] == page(record)
    assert record.title == "VPN drops"
    assert problem_of_incident(first) == record == problem_of_incident(second)


def test_the_bulk_problem_needs_a_selection(client, agent):
    client.force_login(agent)
    response = client.post(url("from_queue"), {"next": "/desk/queue/"})
    assert response.status_code == 302
    assert response["Location"] == "/desk/queue/"
    assert messages_of(response) == ["Select the incidents the problem is about."]
    assert not Problem.objects.exists()


# The record page


def test_the_record_page_shows_the_problem_its_incidents_and_moves(client, agent, problem, incident):
    client.force_login(agent)
    response = client.get(page(problem))
    body = response.content.decode()
    assert response.status_code == 200
    assert problem.title in body
    assert f'data-number="{incident.number}"' in body  # the kernel's links panel
    assert set(re.findall(r'data-transition="(\w+)"', body)) == {"investigate", "known_error"}
    assert 'data-testid="known-error-panel"' in body
    assert 'data-testid="publish-portal"' not in body  # not known yet, and not a manager


def test_the_record_page_reads_a_constant_number_of_queries(
    client, agent, requester, problem, service, django_assert_max_num_queries
):
    client.force_login(agent)
    client.get(page(problem))
    with django_assert_max_num_queries(30) as few:
        assert client.get(page(problem)).status_code == 200
    for index in range(5):
        incident = incident_services.incident_create(actor=requester, title=f"VPN {index}", service=service)
        problem_link_incident(actor=agent, problem=problem, incident=incident)
        problem_update(record=Problem.objects.get(pk=problem.pk), actor=agent, symptoms=f"Drops {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(page(problem)).status_code == 200


def test_editing_saves_the_root_cause_analysis(client, agent, problem, service):
    client.force_login(agent)
    data = form_data(client.get(page(problem)).content, "edit-form")
    data.update(
        root_cause="Idle timeout", method="five_whys", worksheet="1. Why?", time_spent_minutes="90",
        impact="1", urgency="1",
    )  # fmt: skip
    response = client.post(url("edit", problem), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    problem.refresh_from_db()
    assert (problem.root_cause, problem.method, problem.time_spent_minutes) == (
        "Idle timeout",
        "five_whys",
        90,
    )
    assert problem.priority == 1


def test_an_edit_over_someone_elses_change_of_the_same_field_is_412(client, agent, problem):
    client.force_login(agent)
    data = form_data(client.get(page(problem)).content, "edit-form")
    problem_update(record=problem, actor=agent, root_cause="Theirs")
    data["root_cause"] = "Mine"
    response = client.post(url("edit", problem), data)
    assert response.status_code == 412
    body = response.content.decode()
    assert 'data-testid="stale-warning"' in body
    assert 'data-testid="theirs-root_cause"' in body
    problem.refresh_from_db()
    assert problem.root_cause == "Theirs"


def test_an_invalid_edit_is_400_with_the_field_error(client, agent, problem):
    client.force_login(agent)
    data = form_data(client.get(page(problem)).content, "edit-form")
    data["time_spent_minutes"] = "-5"
    response = client.post(url("edit", problem), data)
    assert response.status_code == 400
    problem.refresh_from_db()
    assert problem.time_spent_minutes == 0


def test_the_known_error_needs_its_root_cause(client, agent, problem):
    client.force_login(agent)
    response = client.post(
        url("transition", problem),
        {"transition": "known_error", "version": problem.version, "known_error-workaround": "Reconnect"},
    )
    assert response.status_code == 400
    problem.refresh_from_db()
    assert problem.status == wf.NEW


def test_the_known_error_needs_a_workaround_or_none(client, agent, problem):
    client.force_login(agent)
    response = client.post(
        url("transition", problem),
        {"transition": "known_error", "version": problem.version, "known_error-root_cause": "Timeout"},
    )
    assert response.status_code == 400
    assert "Give the workaround, or say there is none." in response.content.decode()
    response = client.post(
        url("transition", problem),
        {
            "transition": "known_error",
            "version": problem.version,
            "known_error-root_cause": "Timeout",
            "known_error-no_workaround": "on",
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert (problem.status, problem.no_workaround) == (wf.KNOWN_ERROR, True)


def test_resolving_needs_the_fix(client, agent, known):
    client.force_login(agent)
    data = {"transition": "resolve", "version": known.version}
    assert client.post(url("transition", known), data).status_code == 400
    data["resolve-fix"] = "Raised the timeout."
    assert client.post(url("transition", known), data).status_code == 302
    known.refresh_from_db()
    assert (known.status, known.fix) == (wf.RESOLVED, "Raised the timeout.")


def test_a_move_not_open_now_is_409(client, agent, problem):
    client.force_login(agent)
    response = client.post(url("transition", problem), {"transition": "close", "version": problem.version})
    assert response.status_code == 409
    assert 'data-testid="transition-error"' in response.content.decode()


def test_a_move_from_a_stale_page_is_412(client, agent, problem):
    client.force_login(agent)
    version = problem.version
    problem_update(record=problem, actor=agent, symptoms="Changed meanwhile")
    response = client.post(url("transition", problem), {"transition": "investigate", "version": version})
    assert response.status_code == 412
    problem.refresh_from_db()
    assert problem.status == wf.NEW


def test_a_work_note_goes_on_the_timeline(client, agent, problem):
    client.force_login(agent)
    response = client.post(url("comment", problem), {"body": "Checked the firewall", "visibility": "note"})
    assert response.status_code == 302
    assert "Checked the firewall" in client.get(page(problem)).content.decode()
    assert client.post(url("comment", problem), {"body": "", "visibility": "note"}).status_code == 400


# The known error's publication


def test_the_problem_manager_publishes_and_retires_the_known_error(client, problem_manager, known):
    client.force_login(problem_manager)
    body = client.get(page(known)).content.decode()
    assert 'data-testid="publish-portal"' in body
    response = client.post(url("known_error_status", known), {"status": "portal"})
    assert response.status_code == 302
    assert KnownError.objects.get(problem=known).status == KnownError.Status.PORTAL
    body = client.get(page(known)).content.decode()
    assert 'data-status="portal"' in body
    assert "Applied to 0 incidents" in body
    client.post(url("known_error_status", known), {"status": "retired"})
    assert KnownError.objects.get(problem=known).status == KnownError.Status.RETIRED


def deflect(known_error, *outcomes):
    Deflection.objects.bulk_create(Deflection(known_error=known_error, outcome=o) for o in outcomes)


def deflections_shown(body: str) -> tuple[str, str, str]:
    (found,) = re.findall(
        r'data-testid="known-error-deflections" data-shown="(\d+)" data-accepted="(\d+)" data-filed="(\d+)"',
        body,
    )
    return found


def test_the_known_error_panel_counts_what_the_portal_deflected(
    client, agent, problem_manager, known, django_assert_max_num_queries
):
    known_error = known_error_publish(actor=problem_manager, problem=known, status=KnownError.Status.PORTAL)
    other = problem_create(actor=agent, title="Another")
    other = record_transition(record=other, actor=agent, to=wf.KNOWN_ERROR, root_cause="C", workaround="W")
    deflect(known_error_publish(actor=problem_manager, problem=other, status="portal"), "shown", "accepted")
    client.force_login(agent)
    body = client.get(page(known)).content.decode()
    assert deflections_shown(body) == ("0", "0", "0")
    assert "In the portal: shown 0, solved it 0, filed anyway 0" in body

    deflect(known_error, "shown", "shown", "shown", "accepted", "filed", "filed")
    with django_assert_max_num_queries(40) as counted:
        body = client.get(page(known)).content.decode()
    assert deflections_shown(body) == ("3", "1", "2")
    assert "In the portal: shown 3, solved it 1, filed anyway 2" in body
    deflection_reads = [q for q in counted.captured_queries if '"problems_deflection"' in q["sql"]]
    assert len(deflection_reads) == 1


def test_a_problem_without_a_known_error_reads_no_deflections(
    client, agent, problem, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(40) as counted:
        body = client.get(page(problem)).content.decode()
    assert 'data-testid="known-error-deflections"' not in body
    assert not [q for q in counted.captured_queries if '"problems_deflection"' in q["sql"]]


def test_agents_may_not_publish(client, agent, known):
    client.force_login(agent)
    response = client.post(url("known_error_status", known), {"status": "portal"})
    assert response.status_code == 403
    assert not KnownError.objects.exists()


def test_publishing_before_the_error_is_known_is_409(client, problem_manager, problem):
    client.force_login(problem_manager)
    assert client.post(url("known_error_status", problem), {"status": "agents"}).status_code == 409
    assert client.post(url("known_error_status", problem), {"status": "bogus"}).status_code == 400


def test_a_change_manager_reads_the_problem_without_its_forms(client, known):
    reader = UserFactory(roles=[roles.CHANGE_MANAGER])
    client.force_login(reader)
    response = client.get(page(known))
    body = response.content.decode()
    assert response.status_code == 200
    assert known.title in body
    assert 'data-testid="edit-form"' not in body
    assert 'data-testid="transition"' not in body
    assert 'data-testid="publish-portal"' not in body
