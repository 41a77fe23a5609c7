"""Deflection in a real browser (issue 15 acceptance, the requester's part): typing "VPN drops" in the
portal shows the workaround published to the portal, and "This solved it" files nothing and is counted."""

from playwright.sync_api import expect

from incidents.models import Incident
from problems import workflow as wf
from problems.models import Deflection, KnownError
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition
from servicedesk.roles import AGENT, PROBLEM_MANAGER, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def test_a_requester_typing_vpn_drops_sees_the_workaround_and_files_nothing(log_in, live_server, browser_log):
    manager = UserFactory(full_name="Pat Problem", roles=[AGENT, PROBLEM_MANAGER])
    network = SupportGroupFactory(name="Network", members=[manager])
    vpn = BusinessServiceFactory(name="VPN", support_group=network)
    problem = problem_create(actor=manager, title="VPN drops every hour", service=vpn)
    problem = record_transition(
        record=problem, actor=manager, to=wf.KNOWN_ERROR, root_cause="The gateway's idle timer.",
        workaround="Choose **Disconnect**, then **Connect** again.",
    )  # fmt: skip
    known_error_publish(actor=manager, problem=problem, status=KnownError.Status.PORTAL)
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])

    page = log_in(requester)
    page.get_by_test_id("portal-report").click()
    form = page.get_by_test_id("incident-form")
    form.get_by_label("What is wrong?").press_sequentially("VPN drops", delay=30)

    suggestion = page.get_by_test_id("suggested-known-error")
    expect(suggestion).to_have_count(1)
    expect(suggestion).to_contain_text("VPN drops every hour")
    expect(suggestion.locator("strong")).to_have_text(["Disconnect", "Connect"])
    expect(page.get_by_test_id("deflection-suggestions")).not_to_contain_text(problem.number)
    suggestion.get_by_role("button", name="This solved it").click()

    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator(".alert-success")).to_contain_text("Nothing was filed")
    assert not Incident.objects.filter(requester=requester).exists()
    outcomes = sorted(Deflection.objects.filter(user=requester).values_list("outcome", flat=True))
    assert outcomes == ["accepted", "shown"]
    assert browser_log.errors == []
