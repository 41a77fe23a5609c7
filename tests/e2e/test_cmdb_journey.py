"""A configuration manager's day in the CMDB, in a real browser (issue acceptance)."""

import json
import re

from playwright.sync_api import expect

from cmdb.models import CIClass, ConfigurationItem
from cmdb.services.items import ci_create
from servicedesk.roles import CONFIGURATION_MANAGER
from tests.factories import UserFactory


def test_a_configuration_manager_defines_a_class_creates_relates_analyses_baselines_and_diffs(
    log_in, live_server, browser_log
):
    base = live_server.url
    payroll = ci_create(actor=None, name="Payroll", ci_class=CIClass.objects.get(code="business_service"))
    page = log_in(UserFactory(roles=[CONFIGURATION_MANAGER]))

    # A class with a schema.
    page.goto(f"{base}/cmdb/classes/new/")
    form = page.get_by_test_id("class-form")
    form.locator("#id_code").fill("vm")
    form.locator("#id_name").fill("Virtual machine")
    form.locator("#id_parent").select_option(str(CIClass.objects.get(code="server").pk))
    schema = {"properties": {"hypervisor": {"type": "string"}}, "required": ["hypervisor"]}
    form.locator("#id_attribute_schema").fill(json.dumps(schema))
    form.get_by_role("button", name="Create").click()
    expect(page).to_have_url(f"{base}/cmdb/classes/")
    expect(page.locator("main")).to_contain_text("Virtual machine")

    # A CI the schema rejects, then accepts.
    page.goto(f"{base}/cmdb/cis/new/?editor=json")  # the advanced editor: the attributes as JSON
    form = page.get_by_test_id("ci-form")
    form.locator("#id_ci_class").select_option(str(CIClass.objects.get(code="vm").pk))
    form.locator("#id_name").fill("vm-01")
    form.locator("#id_attributes").fill('{"cpu_count": 0}')
    form.get_by_role("button", name="Create").click()
    expect(page.locator("main")).to_contain_text("This attribute is required.")
    expect(page.locator("main")).to_contain_text("Must be at least 1.")
    form = page.get_by_test_id("ci-form")
    form.locator("#id_attributes").fill('{"cpu_count": 2, "hypervisor": "kvm"}')
    form.get_by_role("button", name="Create").click()
    vm = ConfigurationItem.objects.get(name="vm-01")
    expect(page).to_have_url(f"{base}/cmdb/cis/{vm.pk}/")

    # Relate it: Payroll depends on the VM.
    page.get_by_text("Add a relationship").click()
    relate = page.get_by_test_id("relate-form")
    relate.locator("#id_type").select_option(label="depends on / used by")
    relate.locator("#id_direction").select_option("incoming")
    relate.locator("#id_other").fill(str(payroll.pk))
    relate.get_by_role("button", name="Relate").click()
    expect(page.locator("main")).to_contain_text("Payroll")

    # Its impact reaches the business service.
    page.get_by_test_id("impact-link").click()
    expect(page.get_by_test_id("impact-node").first).to_contain_text("Payroll")

    # A baseline, a change, and the diff.
    page.goto(f"{base}/cmdb/baselines/")
    page.locator("#id_name").fill("Before resizing")
    page.locator("#id_classes").select_option("server")
    page.get_by_role("button", name="Take it now").click()
    expect(page.get_by_test_id("no-changes")).to_be_visible()
    baseline_url = page.url

    page.goto(f"{base}/cmdb/cis/{vm.pk}/edit/")
    form = page.get_by_test_id("ci-form")
    form.get_by_label("Cpu count").fill("8")  # the form generated from the class's schema
    form.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/cmdb/cis/{vm.pk}/$"))

    page.goto(baseline_url)
    changed = page.get_by_test_id("changed")
    expect(changed).to_contain_text("vm-01")
    expect(changed).to_contain_text("attributes.cpu_count")
    expect(changed).to_contain_text("8")
    assert browser_log.errors == []
