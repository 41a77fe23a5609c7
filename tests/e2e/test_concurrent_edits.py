"""Two tabs edit one incident, and one CI, in a real browser: neither loses the other's change (issue 12)."""

from playwright.sync_api import expect

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services.items import ci_create
from incidents import services
from incidents.models import Incident
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


def _open_edit_form(page, url):
    page.goto(url)
    page.get_by_text("Edit the details").click()
    return page.get_by_test_id("edit-form")


def test_two_tabs_edit_one_incident_and_choose_where_they_collide(log_in, live_server, browser_log):
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT])
    desk = SupportGroupFactory(name="Messaging", members=[agent])
    service = BusinessServiceFactory(name="E-mail", support_group=desk)
    record = services.incident_create(actor=agent, title="Outlook crashes", requester=agent, service=service)
    url = f"{live_server.url}/records/{record.number}/"
    tab_a = log_in(agent)
    tab_b = tab_a.context.new_page()
    form_a = _open_edit_form(tab_a, url)
    form_b = _open_edit_form(tab_b, url)

    # B renames it; A, still showing the old title, adds a description: both are kept.
    form_b.get_by_label("Title").fill("Outlook crashes for the whole floor")
    form_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_text("The record was saved.")).to_be_visible()
    form_a.get_by_label("Description").fill("Since this morning's update.")
    form_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("their changes are kept")).to_be_visible()
    record = Incident.objects.get(pk=record.pk)
    assert (record.title, record.description) == (
        "Outlook crashes for the whole floor",
        "Since this morning's update.",
    )

    # Both change the title: A is shown B's value, saves nothing, and takes B's.
    form_a = _open_edit_form(tab_a, url)
    form_b = _open_edit_form(tab_b, url)
    form_b.get_by_label("Title").fill("Outlook crashes at start")
    form_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_text("The record was saved.")).to_be_visible()
    form_a.get_by_label("Title").fill("Outlook will not open")
    form_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_test_id("stale-warning")).to_be_visible()
    expect(tab_a.get_by_test_id("theirs-title")).to_have_text("Outlook crashes at start")
    assert Incident.objects.get(pk=record.pk).title == "Outlook crashes at start"
    tab_a.get_by_label("Take their value").check()
    tab_a.get_by_test_id("edit-form").get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("The record was saved.")).to_be_visible()
    assert Incident.objects.get(pk=record.pk).title == "Outlook crashes at start"
    assert browser_log.errors == []


def test_two_tabs_edit_one_ci_and_neither_loses_a_field(log_in, live_server, browser_log):
    manager = UserFactory(roles=[AGENT, CONFIGURATION_MANAGER])
    server = ci_create(
        actor=None, name="lon-app-01", ci_class=CIClass.objects.get(code="server"), via="system"
    )
    url = f"{live_server.url}/cmdb/cis/{server.pk}/edit/"
    tab_a = log_in(manager)
    tab_b = tab_a.context.new_page()
    tab_a.goto(url)
    tab_b.goto(url)

    tab_b.get_by_test_id("ci-form").get_by_label("Version").fill("2.4.1")
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_text("The CI was saved.")).to_be_visible()
    tab_a.get_by_test_id("ci-form").get_by_label("Description").fill("Moved to rack 4.")
    tab_a.get_by_role("button", name="Save").click()
    expect(tab_a.get_by_text("The CI was saved.")).to_be_visible()

    server = ConfigurationItem.objects.get(pk=server.pk)
    assert (server.version, server.description) == ("2.4.1", "Moved to rack 4.")
    assert browser_log.errors == []
