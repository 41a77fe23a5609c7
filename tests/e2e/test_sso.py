"""Single sign-on in a real browser (issue 19, item 8): OpenID Connect through the provider's own login
page, and LDAP through the ordinary sign-in form with the directory's password, against the servers the
tests start (tests/sso_servers.py)."""

from playwright.sync_api import expect

from servicedesk.models import User
from tests.sso_servers import LDAP_PASSWORD, OIDC_PASSWORD, use_ldap, use_oidc


def test_a_person_signs_in_through_the_openid_provider_and_lands_in_the_desk_as_an_agent(
    page, live_server, settings, oidc_provider, browser_log, axe_findings
):
    use_oidc(settings, oidc_provider)
    oidc_provider.add_account(
        "grace",
        email="grace.hopper@example.org",
        email_verified=True,
        name="Grace Hopper",
        groups=["itsm-agents"],
    )
    assert axe_findings("/login/") == []

    page.goto(f"{live_server.url}/login/")
    page.get_by_role("link", name="Sign in with Example ID").click()
    expect(page.get_by_role("heading", name="Example ID")).to_be_visible()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Password").fill(OIDC_PASSWORD)
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("nav-workspace")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Grace Hopper")
    grace = User.objects.get(email="grace.hopper@example.org")
    assert sorted(grace.groups.values_list("name", flat=True)) == ["Agent", "Requester"]
    assert browser_log.errors == []


def test_a_directory_user_signs_in_with_the_directory_password_and_a_wrong_one_is_refused(
    page, live_server, settings, ldap_server, browser_log
):
    use_ldap(settings, ldap_server)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("not-the-directory-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible(timeout=15_000)
    assert page.url.startswith(f"{live_server.url}/login/")
    assert not User.objects.filter(username="ada").exists()

    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill(LDAP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/")
    expect(page.get_by_test_id("nav-workspace")).to_be_visible()
    expect(page.locator("body")).to_contain_text("Ada Lovelace")
    assert browser_log.errors == []
