"""What a requester, an agent and an integrator do in a real browser."""

import re

from playwright.sync_api import expect

from servicedesk.models import ApiToken

WORKSPACE_SCREENSHOT = "/tmp/e2e-workspace.png"


def test_requester_signs_in_and_sees_the_portal_with_their_organisation(
    log_in, requester, organisation, browser_log
):
    page = log_in(requester)

    expect(page).to_have_title(re.compile("Self-service portal"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {requester.get_short_name()}")
    expect(page.get_by_test_id("nav-portal")).to_be_visible()
    expect(page.get_by_test_id("nav-workspace")).to_have_count(0)
    expect(page.get_by_test_id("organisation")).to_contain_text("Contoso Ltd")
    assert browser_log.errors == []


def test_agent_signs_in_and_sees_their_support_group_and_its_members(
    log_in, agent, group_manager, support_group, browser_log
):
    page = log_in(agent)

    expect(page.get_by_role("heading", level=1)).to_have_text("Agent workspace")
    group = page.get_by_test_id("support-group")
    expect(group).to_have_count(1)
    expect(group.get_by_role("heading", level=3)).to_have_text("Service Desk")
    rows = group.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text=agent.get_full_name())).to_contain_text("Member")
    expect(rows.filter(has_text=group_manager.get_full_name())).to_contain_text("Manager")

    # The vendored Bootstrap and icon font are served and applied.
    navbar = page.locator("nav.navbar")
    assert navbar.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(33, 37, 41)"
    icon_font = page.locator(".navbar-brand .bi").evaluate(
        "el => getComputedStyle(el, '::before').fontFamily"
    )
    assert "bootstrap-icons" in icon_font
    page.evaluate("document.fonts.ready")
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")

    page.screenshot(path=WORKSPACE_SCREENSHOT, full_page=True)
    assert browser_log.errors == []


def test_user_creates_an_api_token_sees_it_once_and_revokes_it(log_in, requester, live_server, browser_log):
    page = log_in(requester)
    page.get_by_role("link", name=requester.get_full_name()).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_test_id("token-row")).to_have_count(0)

    tokens = page.locator("#tokens")
    tokens.get_by_label("Name").fill("Monitoring")
    with page.expect_response(f"{live_server.url}/profile/tokens/") as created:
        tokens.get_by_role("button", name="Create").click()
    assert created.value.request.headers.get("hx-request") == "true"  # swapped by htmx, no page load

    key = page.locator("#new-token-key").input_value()
    assert len(key) >= 32
    row = page.get_by_test_id("token-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Monitoring")
    expect(row).to_contain_text("Active")

    # The key works against the API, and is not shown again.
    me = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert me.status == 200
    assert me.json()["username"] == requester.username
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    assert key not in page.content()

    dialogs = []

    def accept(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
    assert dialogs == ["Revoke this token? Integrations using it will stop working."]
    assert ApiToken.objects.get(user=requester).revoked_at is not None
    refused = page.request.get(f"{live_server.url}/api/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert refused.status == 401
    assert browser_log.errors == []


def test_language_switcher_renders_the_page_in_chinese(log_in, requester, browser_log):
    page = log_in(requester)
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("footer").get_by_label("Language").select_option(label="简体中文")

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"欢迎，{requester.get_short_name()}")
    expect(page.get_by_test_id("nav-portal")).to_contain_text("自助服务门户")
    expect(page.locator("#organisation-heading")).to_contain_text("您的组织")
    requester.refresh_from_db()
    assert requester.language == "zh-hans"
    # The preference follows the user to their next page.
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    assert browser_log.errors == []


def test_pages_have_no_console_errors_or_csp_violations(
    log_in, agent, support_group, live_server, browser_log
):
    page = log_in(agent)
    for path in ["/", "/profile/", "/password/change/", "/no-such-page/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    for path in ["/login/", "/password/reset/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")

    # 404 is expected for /no-such-page/; nothing else may be reported.
    assert [e for e in browser_log.errors if "/no-such-page/" not in e] == []


def test_csp_violations_are_detected(page, live_server, browser_log):
    """The check above would be worthless if a violation went unnoticed: an inline script is refused."""
    page.goto(f"{live_server.url}/login/")
    with page.expect_console_message(lambda message: "CSP violation" in message.text):
        page.evaluate(
            "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
            " document.body.append(s); }"
        )
    assert page.evaluate("window.ran") is None
    assert any("CSP violation: script-src" in error for error in browser_log.errors), browser_log.errors


def test_api_docs_load_swagger_ui_without_leaving_the_site(log_in, agent, live_server, browser_log):
    page = log_in(agent)
    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".swagger-ui")).to_be_visible()
    expect(page).to_have_title("ITSM Service Desk API")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("ITSM Service Desk API")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert browser_log.foreign_requests(live_server.url) == []
    assert any("/api/schema/" in url for url in browser_log.requests)
    assert browser_log.errors == []
