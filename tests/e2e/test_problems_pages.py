"""The incident page's known errors panel, in a real browser (issue 15): an agent finds the published
workaround of a known error as the panel searches by itself, and applies it, resolving the incident."""

from playwright.sync_api import expect

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.models import KnownError, WorkaroundApplication
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition
from servicedesk.roles import AGENT, PROBLEM_MANAGER, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def test_an_agent_finds_the_known_error_on_the_incident_page_and_applies_and_resolves(
    log_in, live_server, browser_log
):
    ada = UserFactory(full_name="Ada Agent", roles=[AGENT])
    pat = UserFactory(full_name="Pat Problem", roles=[AGENT, PROBLEM_MANAGER])
    desk = SupportGroupFactory(name="Service Desk", members=[ada, pat])
    vpn = BusinessServiceFactory(name="VPN", support_group=desk)
    problem = problem_create(actor=pat, title="VPN drops every hour", service=vpn)
    problem = record_transition(
        record=problem, actor=pat, to=wf.KNOWN_ERROR, root_cause="The concentrator's idle timeout",
        workaround="Turn on **keep-alive** in the VPN client.",
    )  # fmt: skip
    known_error_publish(actor=pat, problem=problem, status=KnownError.Status.AGENTS)
    record = incident_services.incident_create(
        actor=UserFactory(roles=[REQUESTER]), title="VPN drops again", service=vpn
    )
    incident_services.incident_assign(record=record, actor=ada, assignee=ada)

    page = log_in(ada)
    page.goto(f"{live_server.url}/records/{record.number}/")
    panel = page.get_by_test_id("kedb-panel")
    # The search runs by itself with the incident's title and service.
    hit = panel.get_by_test_id("kedb-hit")
    expect(hit).to_have_count(1)
    expect(hit).to_contain_text(problem.number)
    expect(hit.get_by_test_id("kedb-workaround")).to_contain_text("keep-alive")
    # Typing words nothing matches empties the list; words that match bring it back.
    words = panel.get_by_label("Words")
    words.fill("printer toner")
    expect(panel.get_by_test_id("kedb-none")).to_be_visible()
    words.fill("VPN drops")
    expect(hit).to_have_count(1)

    hit.get_by_role("button", name="Apply and resolve").click()
    expect(
        page.get_by_text(f"The workaround of {problem.number} was applied and the incident resolved.")
    ).to_be_visible()
    expect(page.get_by_test_id("incident-problem")).to_contain_text(problem.number)
    record.refresh_from_db()
    assert (record.status, record.resolution_code) == (Incident.Status.RESOLVED, "workaround")
    assert WorkaroundApplication.objects.filter(incident=record).count() == 1
    assert browser_log.errors == []
