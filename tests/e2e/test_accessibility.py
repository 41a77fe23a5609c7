"""axe-core on the main pages of each role: no serious or critical finding (WCAG 2 A/AA and axe's best
practices). One browser, each page opened once, axe injected through the DevTools protocol."""

import pytest

from cmdb.models import CIClass, RelationshipType
from cmdb.services.baselines import baseline_take
from cmdb.services.items import ci_create, ci_update
from cmdb.services.relationships import relationship_create
from incidents import services
from servicedesk.roles import AGENT, CONFIGURATION_MANAGER, REQUESTER
from tests.factories import SupportGroupFactory, UserFactory
from tests.incidents.factories import BusinessServiceFactory


@pytest.fixture
def desk(db, settings, tmp_path):
    """A requester's record and an agent's record on a server that a business service depends on,
    with a baseline of the server taken before it changed."""
    settings.ITSM_ATTACHMENT_ROOT = tmp_path / "attachments"
    agent = UserFactory(full_name="Ada Agent", roles=[AGENT, CONFIGURATION_MANAGER])
    group = SupportGroupFactory(name="Service Desk", members=[agent])
    requester = UserFactory(full_name="Rita Requester", roles=[REQUESTER])
    service = BusinessServiceFactory(name="Payroll", support_group=group)
    server = ci_create(actor=None, name="srv-pay-01", ci_class=CIClass.objects.get(code="server"))
    depends = RelationshipType.objects.filter(impact=RelationshipType.Impact.TARGET_TO_SOURCE).first()
    relationship_create(actor=None, source=service, target=server, type=depends)
    baseline = baseline_take(actor=None, name="Before the upgrade", classes=["server"])
    ci_update(ci=server, actor=None, version="2.0")
    own = services.incident_create(
        actor=requester, title="Payslips do not load", description="Since **this morning**.", service=service
    )
    services.incident_comment(record=own, actor=agent, body="Looking into it.", is_public=True)
    phoned = services.incident_create(
        actor=agent,
        requester=requester,
        channel="phone",
        title="Payroll run fails",
        service=service,
        affected_cis=[server],
    )
    return {"agent": agent, "requester": requester, "own": own, "phoned": phoned, "server": server,
            "baseline": baseline}  # fmt: skip


def test_a_requesters_pages_have_no_serious_accessibility_findings(log_in, desk, axe_findings, browser_log):
    log_in(desk["requester"])
    findings = []
    for path in [
        "/",
        "/portal/new/incident/",
        "/?tab=all",
        f"/records/{desk['own'].number}/",
    ]:
        findings += axe_findings(path)
    assert findings == [], "\n".join(findings)
    assert browser_log.errors == []


def test_an_agents_and_configuration_managers_pages_have_no_serious_accessibility_findings(
    log_in, desk, axe_findings, browser_log
):
    log_in(desk["agent"])
    server = desk["server"]
    findings = []
    for path in [
        "/desk/queue/?view=open",
        f"/records/{desk['phoned'].number}/",
        "/desk/new/",
        "/cmdb/",
        f"/cmdb/cis/{server.pk}/",
        f"/cmdb/cis/{server.pk}/impact/",
        "/cmdb/import/",
        "/cmdb/baselines/",
        f"/cmdb/baselines/{desk['baseline'].pk}/",
    ]:
        findings += axe_findings(path)
    assert findings == [], "\n".join(findings)
    assert browser_log.errors == []


def test_axe_reports_what_it_should(page, live_server, axe_findings):
    """The checks above would be worthless if axe found nothing anyway: pale text is reported."""
    page.route(
        f"{live_server.url}/axe-probe/",
        lambda route: route.fulfill(
            content_type="text/html",
            body='<!DOCTYPE html><html lang="en"><title>Probe</title><main>'
            '<p style="color:#ccc;background:#fff">Pale text</p></main></html>',
        ),
    )
    findings = axe_findings("/axe-probe/")
    assert any("color-contrast (serious)" in line for line in findings), findings
