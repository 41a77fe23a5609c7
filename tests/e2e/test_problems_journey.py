"""Problem management from end to end, in a real browser, on the demo (issue 15's acceptance journey).

The demo's recurring VPN incidents become a problem candidate; dave, the demo's problem manager, accepts
it, records the root cause and a workaround and publishes the known error to the portal; bob, an agent,
finds it on a new VPN incident's page and applies it; alice, a requester, types "VPN drops" in the portal,
sees the workaround and files nothing; and the known error counts all of it.
"""

import re
from io import StringIO

from django.core.management import call_command
from playwright.sync_api import expect

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.demo import RECURRING_VPN, VPN_GATEWAY
from problems.models import Deflection, KnownError, Problem, ProblemCandidate, WorkaroundApplication
from problems.selectors import problem_incidents, problem_of_incident
from servicedesk.management.commands.seed_demo import DEMO_PASSWORD
from servicedesk.models import User

TITLE = "VPN drops during calls and large uploads"
WORKAROUND = "Turn on **Keep the tunnel alive** in the VPN client's settings, then reconnect."


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


def test_the_demos_recurring_vpn_incidents_end_as_a_workaround_that_deflects_a_requester(
    log_in, live_server, browser_log, settings
):
    settings.ITSM_DEMO_RECORDS = 20  # the random history: enough to look real, quick to seed
    call_command("seed_demo", stdout=StringIO())
    people = {user.username: user for user in User.objects.filter(username__in=["dave", "bob", "alice"])}
    recurring = set(Incident.objects.filter(title__in=[title for _who, title in RECURRING_VPN]))
    assert len(recurring) == len(RECURRING_VPN)
    assert not ProblemCandidate.objects.exists()

    # The problem manager runs the trend detection: the gateway's recurring incidents are proposed.
    page = log_in(people["dave"], DEMO_PASSWORD)
    page.goto(f"{live_server.url}/problems/candidates/")
    page.get_by_test_id("detect-now").click()
    expect(page.locator(".alert-success")).to_contain_text("Detection done")
    candidate = ProblemCandidate.objects.get(basis=ProblemCandidate.Basis.CI, label=VPN_GATEWAY)
    assert set(candidate.incidents.all()) == recurring
    card = page.locator(f'[data-testid="candidate"][data-candidate="{candidate.pk}"]')
    for incident in recurring:
        expect(card).to_contain_text(incident.number)

    # ... accepts it: a problem with the six incidents, each link on both timelines.
    card.get_by_label("Problem title (optional)").fill(TITLE)
    card.get_by_test_id("accept").click()
    problem = Problem.objects.get(title=TITLE)
    page.wait_for_url(f"{live_server.url}/records/{problem.number}/")
    candidate.refresh_from_db()
    assert (candidate.status, candidate.problem) == (ProblemCandidate.Status.ACCEPTED, problem)
    linked = {link.record for link in problem_incidents(problem=problem, user=people["dave"])}
    assert linked == recurring
    assert [ci.name for ci in problem.affected_cis.all()] == [VPN_GATEWAY]
    assert problem.service.name == "VPN"  # the one service the gateway's incidents share
    expect(page.get_by_test_id("record-number")).to_have_text(problem.number)

    # ... records the analysis: what users see, the method and its worksheet.
    page.get_by_test_id("edit-summary").click()
    edit = page.get_by_test_id("edit-form")
    edit.get_by_label("Symptoms").fill("The VPN drops after a while during calls and large uploads.")
    edit.get_by_label("Analysis method").select_option(label="5 whys")
    edit.get_by_label("Worksheet").fill("1. Why does it drop? The gateway ends idle sessions.")
    edit.get_by_role("button", name="Save").click()
    expect(page.locator(".alert-success")).to_contain_text("The problem was saved.")
    problem.refresh_from_db()
    assert problem.method == Problem.Method.FIVE_WHYS

    # ... records the known error (root cause and workaround) and publishes it to the portal.
    move = page.locator('[data-testid="transition"][data-transition="known_error"]')
    move.locator("summary").click()
    move.get_by_label("Root cause", exact=True).fill(
        "The gateway does not count the client's keep-alives as activity."
    )
    move.get_by_label("Workaround", exact=True).fill(WORKAROUND)
    move.get_by_role("button", name="Record the known error").click()
    expect(page.locator(".alert-success")).to_contain_text("The problem is now known error.")
    problem.refresh_from_db()
    assert problem.status == wf.KNOWN_ERROR
    assert problem.workaround == WORKAROUND
    page.get_by_test_id("publish-portal").get_by_role("button").click()
    expect(page.get_by_test_id("known-error-status")).to_have_attribute("data-status", "portal")
    known_error = KnownError.objects.get(problem=problem)
    assert known_error.status == KnownError.Status.PORTAL
    assert [service.name for service in known_error.services.all()] == ["VPN"]
    _sign_out(page)

    # An agent finds the known error on a new VPN incident's page and applies it.
    incident = incident_services.incident_create(
        actor=people["alice"],
        title="VPN drops in every long call",
        service=problem.service,
    )
    page = log_in(people["bob"], DEMO_PASSWORD)
    page.goto(f"{live_server.url}/records/{incident.number}/")
    hit = page.locator(f'[data-testid="kedb-hit"][data-problem="{problem.number}"]')
    expect(hit.get_by_test_id("kedb-workaround")).to_contain_text("Keep the tunnel alive")
    hit.get_by_test_id("apply-workaround").click()
    expect(page.locator(".alert-success")).to_contain_text(f"The workaround of {problem.number} was applied.")
    expect(page.get_by_test_id("incident-problem")).to_contain_text(problem.number)
    assert WorkaroundApplication.objects.filter(incident=incident, known_error=known_error).count() == 1
    assert problem_of_incident(incident) == problem
    _sign_out(page)

    # A requester typing "VPN drops" sees the workaround, and it solves the issue: nothing is filed.
    filed_before = Incident.objects.filter(requester=people["alice"]).count()
    page = log_in(people["alice"], DEMO_PASSWORD)
    page.get_by_test_id("portal-report").click()
    page.get_by_test_id("incident-form").get_by_label("What is wrong?").press_sequentially(
        "VPN drops", delay=30
    )
    suggestion = page.get_by_test_id("suggested-known-error").filter(has_text=TITLE)
    expect(suggestion.get_by_test_id("suggested-workaround")).to_contain_text("Keep the tunnel alive")
    expect(page.get_by_test_id("deflection-suggestions")).not_to_contain_text(problem.number)
    suggestion.get_by_role("button", name="This solved it").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator(".alert-success")).to_contain_text("Nothing was filed")
    assert Incident.objects.filter(requester=people["alice"]).count() == filed_before
    mine = Deflection.objects.filter(user=people["alice"], known_error=known_error)
    assert sorted(mine.values_list("outcome", flat=True)) == ["accepted", "shown"]
    _sign_out(page)

    # The problem manager sees what the known error did: applied once, shown once, solved it once.
    page = log_in(people["dave"], DEMO_PASSWORD)
    page.goto(f"{live_server.url}/records/{problem.number}/")
    expect(page.get_by_test_id("known-error-usage")).to_contain_text("Applied to 1 incident")
    counts = page.get_by_test_id("known-error-deflections")
    expect(counts).to_contain_text("In the portal: shown 1, solved it 1, filed anyway 0")
    assert browser_log.errors == []
