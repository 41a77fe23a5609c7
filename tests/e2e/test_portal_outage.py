"""The requesters' portal in a real browser (issue 19, items 4 and 5): the outage banner and following the
major incident (then its next public update arrives by e-mail), confirming a resolution on a phone
without scrolling, and the follow-up of a closed record. axe-core finds nothing serious on these pages."""

import os
from pathlib import Path

from django.core import mail
from playwright.sync_api import expect

from incidents import services
from incidents.models import Incident
from servicedesk.models import TimelineEntry
from servicedesk.roles import AGENT, GROUP_MANAGER, REQUESTER
from servicedesk.services.watchers import watching
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "portal.png"
PHONE = {"width": 375, "height": 667}


def _desk():
    manager = UserFactory(full_name="Gina Manager", roles=[AGENT, GROUP_MANAGER])
    network = SupportGroupFactory(name="Network", members=[manager], manager=manager)
    vpn = BusinessServiceFactory(name="VPN", support_group=network)
    return manager, vpn


def _major(manager, service):
    record = services.incident_create(
        actor=manager, requester=manager, title="VPN is down for everyone", service=service
    )
    return services.incident_declare_major(record=record, actor=manager, is_major=True)


def _resolve(record, agent, notes="Restarted the VPN gateway."):
    record = services.incident_transition(record=record, actor=agent, to="in_progress")
    return services.incident_transition(
        record=record, actor=agent, to="resolved", resolution_code="solved", resolution_notes=notes
    )


def test_a_requester_follows_the_outage_and_gets_its_next_update_by_email(
    log_in, live_server, browser_log, axe_findings, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    manager, vpn = _desk()
    major = _major(manager, vpn)
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    mine = services.incident_create(actor=requester, title="Printer jams on tray 2")
    _resolve(mine, manager, notes="Cleaned the rollers.")

    page = log_in(requester)
    banner = page.get_by_test_id("outage-banner")
    expect(banner).to_contain_text("VPN is down for everyone")
    expect(banner).to_contain_text("VPN")
    expect(page.get_by_test_id("waiting-record")).to_contain_text("Printer jams on tray 2")
    if os.environ.get("ITSM_SCREENSHOTS") == "1":
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert axe_findings("/portal/") == []

    page.get_by_test_id("outage-follow").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator(".alert-success")).to_contain_text(f"You follow {major.number}")
    following = page.get_by_test_id("following-record")
    expect(following).to_have_count(1)
    expect(following).to_contain_text("VPN is down for everyone")
    expect(page.get_by_test_id("outage-unfollow")).to_be_visible()
    assert watching(major, requester)
    assert not Incident.objects.filter(requester=requester, is_major=False).exclude(pk=mine.pk).exists()

    mail.outbox.clear()
    services.incident_comment(record=major, actor=manager, body="The gateway is back; reconnect now.")
    to_requester = [message for message in mail.outbox if requester.email in message.to]
    assert len(to_requester) == 1
    assert "The gateway is back; reconnect now." in to_requester[0].body

    following.get_by_role("link", name=major.number).click()
    expect(page.get_by_test_id("watching-notice")).to_be_visible()
    expect(page.get_by_text("The gateway is back; reconnect now.")).to_be_visible()
    expect(page.get_by_test_id("reply-form")).to_have_count(0)
    assert axe_findings(f"/records/{major.number}/") == []

    page.get_by_test_id("watching-notice").get_by_role("button", name="Stop following").click()
    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator(".alert-success")).to_contain_text(f"You no longer follow {major.number}")
    assert not watching(major, requester)
    assert browser_log.errors == []


def test_the_new_incident_form_offers_to_follow_the_outage_on_the_chosen_service(
    log_in, live_server, browser_log
):
    manager, vpn = _desk()
    major = _major(manager, vpn)
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])

    page = log_in(requester)
    page.get_by_test_id("portal-report").click()
    page.get_by_label("What is wrong?").fill("Cannot connect from home")
    page.evaluate(
        """(pk) => {
            const select = document.getElementById("id_service");
            if (![...select.options].some((o) => o.value === String(pk))) select.add(new Option("VPN", pk));
            select.value = String(pk);
            select.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        vpn.pk,
    )
    suggestion = page.get_by_test_id("suggested-major-incident")
    expect(suggestion).to_contain_text("VPN is down for everyone")
    suggestion.get_by_test_id("follow-major-incident").click()

    page.wait_for_url(f"{live_server.url}/portal/")
    expect(page.locator(".alert-success")).to_contain_text(f"you follow {major.number}")
    expect(page.get_by_test_id("following-record")).to_contain_text("VPN is down for everyone")
    assert not Incident.objects.filter(requester=requester).exists()
    assert browser_log.errors == []


def test_on_a_phone_a_requester_confirms_the_resolution_without_scrolling(
    log_in, live_server, browser_log, page
):
    manager, vpn = _desk()
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    record = services.incident_create(
        actor=requester, title="Outlook does not start", description="It crashes.\n\n" * 20, service=vpn
    )
    _resolve(record, manager, notes="Repaired the Office installation; please try again.")
    page.set_viewport_size(PHONE)

    log_in(requester)
    page.get_by_test_id("waiting-record").get_by_role("link", name=record.number, exact=True).click()
    confirm = page.get_by_role("button", name="It works: close it")
    expect(confirm).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0
    box = confirm.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]
    confirm.click()

    expect(page.locator(".alert-success")).to_contain_text(f"{record.number} is closed")
    record.refresh_from_db()
    assert record.status == "closed"
    assert browser_log.errors == []


def test_on_a_phone_the_reply_is_one_tap_away_when_the_desk_asks(log_in, live_server, page):
    manager, vpn = _desk()
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    record = services.incident_create(
        actor=requester, title="Outlook does not start", description="It crashes.\n\n" * 20, service=vpn
    )
    record = services.incident_transition(record=record, actor=manager, to="in_progress")
    services.incident_transition(record=record, actor=manager, to="on_hold", hold_reason="requester")
    page.set_viewport_size(PHONE)

    log_in(requester)
    page.goto(f"{live_server.url}/records/{record.number}/")
    reply_now = page.get_by_test_id("reply-now")
    expect(reply_now).to_be_in_viewport()
    reply_now.click()
    page.get_by_label("Your reply").fill("Version 16.0, on Windows 11.")
    page.get_by_role("button", name="Send the reply").click()
    expect(page.get_by_text("Version 16.0, on Windows 11.")).to_be_visible()


def test_a_closed_records_follow_up_is_filed_and_linked(log_in, live_server, browser_log, axe_findings):
    manager, vpn = _desk()
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    record = services.incident_create(actor=requester, title="Outlook does not start", service=vpn)
    record = _resolve(record, manager)
    services.incident_transition(record=record, actor=requester, to="closed")

    page = log_in(requester)
    page.goto(f"{live_server.url}/records/{record.number}/")
    page.get_by_test_id("follow-up").get_by_role("link", name="Open a follow-up").click()
    expect(page.get_by_test_id("follow-up-of")).to_contain_text(record.number)
    expect(page.get_by_label("What is wrong?")).to_have_value("Still a problem: Outlook does not start")
    assert axe_findings(f"/portal/new/incident/?follow_up={record.number}") == []
    page.get_by_label("Description").fill("It crashes again since this morning.")
    page.get_by_role("button", name="Send").click()

    expect(page.locator(".alert-success")).to_contain_text("is recorded")
    new = Incident.objects.exclude(pk=record.pk).get()
    assert new.requester == requester
    links = TimelineEntry.objects.filter(kind=TimelineEntry.Kind.LINK)
    assert {(entry.object_id, entry.data["link"]) for entry in links} == {
        (new.pk, "follow_up_of"),
        (record.pk, "followed_up_by"),
    }
    expect(page.get_by_test_id("record-body")).to_contain_text(record.number)
    assert browser_log.errors == []
