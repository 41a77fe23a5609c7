"""The CMDB in an agent's daily work, in a real browser (issue 19, item 3): an affected CI picked by typing
part of its serial number, its attributes edited through the form generated from its class's schema, and
its page listing the incident."""

import re

from playwright.sync_api import expect

from cmdb.models import CIClass
from cmdb.services.items import ci_create
from incidents import services
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory


def test_an_agent_picks_a_ci_by_serial_edits_its_attributes_and_sees_the_incident_on_it(
    log_in, live_server, browser_log, axe_findings
):
    base = live_server.url
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT, CONFIGURATION_MANAGER])
    SupportGroupFactory(name="Service Desk", members=[agent])
    caller = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    server_class = CIClass.objects.get(code="server")
    for n in range(30):  # more than a menu lists
        ci_create(actor=None, name=f"srv-app-{n:02}", ci_class=server_class, serial_number=f"CZ{n:04}XQ")
    mail = ci_create(
        actor=None, name="srv-mail-01", ci_class=server_class, serial_number="SGH7341KQ2", attributes={}
    )
    record = services.incident_create(
        actor=agent, requester=caller, channel="phone", title="Mail delivery is late"
    )
    page = log_in(agent)

    # The affected CI, found by typing part of its serial number.
    page.goto(f"{base}/records/{record.number}/")
    page.get_by_text("Edit the details").click()
    form = page.get_by_test_id("edit-form")
    menu = form.get_by_label("Affected CIs", exact=True)
    expect(menu.locator("option", has_text="srv-mail-01")).to_have_count(0)
    form.get_by_label("Search: Affected CIs").fill("7341")
    expect(menu.locator("option", has_text="srv-mail-01 · Server · SGH7341KQ2")).to_have_count(1)
    expect(menu.locator("option")).to_have_count(1)
    menu.select_option(label="srv-mail-01 · Server · SGH7341KQ2")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("affected-ci")).to_contain_text("srv-mail-01")
    assert list(record.affected_cis.all()) == [mail]

    # Its attributes, through the form generated from the class's schema.
    page.goto(f"{base}/cmdb/cis/{mail.pk}/edit/")
    form = page.get_by_test_id("ci-form")
    expect(form.get_by_test_id("attribute-form")).to_contain_text("Attributes of class Server")
    form.get_by_label("Cpu count").fill("twelve")
    form.get_by_label("Operating system").fill("Debian 13")
    form.get_by_role("button", name="Save").click()
    field = page.get_by_test_id("ci-form").get_by_label("Cpu count")
    expect(field).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.get_by_test_id("ci-form")).to_contain_text("Enter a whole number.")
    mail.refresh_from_db()
    assert mail.attributes == {}
    field.fill("12")
    page.get_by_test_id("ci-form").get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"{base}/cmdb/cis/{mail.pk}/")
    expect(page.get_by_test_id("attributes")).to_contain_text("12")
    mail.refresh_from_db()
    assert mail.attributes == {"cpu_count": 12, "operating_system": "Debian 13"}

    # The CI's page lists the incident, linking to it.
    incidents = page.get_by_test_id("ci-records-incident")
    expect(incidents).to_contain_text(record.number)
    expect(incidents).to_contain_text("Mail delivery is late")
    incidents.get_by_role("link", name=record.number).click()
    expect(page).to_have_url(re.compile(rf"/records/{record.number}/$"))

    findings = []
    for path in [
        f"/cmdb/cis/{mail.pk}/",
        f"/cmdb/cis/{mail.pk}/edit/",
        "/cmdb/cis/new/",
        f"/records/{record.number}/",
    ]:
        findings += axe_findings(path)
    assert findings == [], "\n".join(findings)
    assert browser_log.errors == []
