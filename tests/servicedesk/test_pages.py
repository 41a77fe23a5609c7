import re
from datetime import UTC, datetime
from html import unescape
from unittest import mock

import pytest
from django.db import connection
from django.db.utils import OperationalError

from servicedesk import roles
from servicedesk.models import ApiToken, AuditEvent, User
from servicedesk.services.tokens import _digest, api_token_create, api_token_revoke

from ..factories import SupportGroupFactory, UserFactory

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def _html(response):
    return response.content.decode()


def _member_roles(html, group):
    """{member name: role badge} in the group's card on the workspace page."""
    card = html[html.index(f'id="group-{group.pk}"') :]
    card = card[: card.index("</section>")]
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>.*?<td>(?:<span[^>]*>)?(Manager|Member)", card, re.DOTALL)
    return {unescape(name): role for name, role in rows}


# Home


@pytest.mark.django_db
def test_home_sends_anonymous_visitors_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/login/?next=/"


def test_a_requesters_home_is_the_portal_with_their_profile_and_organisation(client, requester):
    requester.full_name = "Rita Quest"
    requester.phone = "+44 1632 960000"
    requester.save()
    client.force_login(requester)

    response = client.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "itsm/home_portal.html"
    html = _html(response)
    assert "Welcome, Rita" in html
    assert "requester@example.com" in html
    assert "+44 1632 960000" in html
    assert '<dd class="col-sm-8">Contoso Ltd</dd>' in html
    assert 'data-testid="nav-portal"' in html
    assert 'data-testid="nav-workspace"' not in html


def test_a_requester_without_an_organisation_is_told_so(client, db):
    loner = UserFactory(roles=[roles.REQUESTER], organisation=None)
    client.force_login(loner)

    html = _html(client.get("/"))

    assert "You do not belong to an organisation yet." in html
    assert 'data-testid="organisation"' not in html


def test_an_agents_home_is_the_workspace_with_their_groups_members_and_manager(
    client, agent, group_manager, support_group
):
    other = SupportGroupFactory(name="Network", members=[group_manager])
    escalating = SupportGroupFactory(name="Applications", members=[agent], escalation_group=other)
    client.force_login(agent)

    response = client.get("/")

    assert response.status_code == 200
    assert response.templates[0].name == "itsm/home_workspace.html"
    assert [g.name for g in response.context["groups"]] == ["Applications", "Service Desk"]
    html = _html(response)
    assert "Network</h3>" not in html
    assert "Escalates to Network" in html
    assert 'data-testid="nav-workspace"' in html
    assert 'data-testid="nav-portal"' not in html
    assert _member_roles(html, support_group) == {
        agent.get_full_name(): "Member",
        group_manager.get_full_name(): "Manager",
    }
    assert _member_roles(html, escalating) == {agent.get_full_name(): "Member"}


def test_an_agent_without_groups_is_told_so(client, agent):
    client.force_login(agent)

    html = _html(client.get("/"))

    assert "You are not a member of any support group yet." in html


@pytest.mark.parametrize(("groups", "members"), [(1, 1), (6, 5)])
def test_the_workspace_query_count_does_not_grow_with_groups_or_members(
    client, agent, django_assert_max_num_queries, groups, members
):
    for number in range(groups):
        colleagues = UserFactory.create_batch(members, roles=[roles.AGENT])
        SupportGroupFactory(
            name=f"Group {number}",
            manager=colleagues[0],
            escalation_group=SupportGroupFactory(name=f"Escalation {number}"),
            members=[agent, *colleagues],
        )
    client.force_login(agent)

    with django_assert_max_num_queries(6):
        response = client.get("/")

    assert len(response.context["groups"]) == groups
    assert _html(response).count('data-testid="support-group"') == groups
    assert _html(response).count("Manager</span>") == groups


# Profile, language and time zone


def _profile_form(user, **changes):
    return {
        "full_name": user.full_name,
        "phone": user.phone,
        "language": user.language,
        "time_zone": user.time_zone,
        **changes,
    }


def test_the_profile_page_saves_language_and_time_zone_and_audits_it(client, requester):
    client.force_login(requester)

    response = client.post(
        "/profile/", _profile_form(requester, language="zh-hans", time_zone="Asia/Shanghai")
    )

    assert response.status_code == 302
    assert response.url == "/profile/"
    requester.refresh_from_db()
    assert (requester.language, requester.time_zone) == ("zh-hans", "Asia/Shanghai")
    event = AuditEvent.objects.get(action="user.profile_updated")
    assert (event.actor, event.object_id) == (requester, str(requester.pk))
    assert event.data == {
        "changes": {
            "language": {"from": "", "to": "zh-hans"},
            "time_zone": {"from": "", "to": "Asia/Shanghai"},
        }
    }


def test_the_profile_page_refuses_an_unknown_time_zone(client, requester):
    client.force_login(requester)

    response = client.post("/profile/", _profile_form(requester, time_zone="Mars/Olympus"))

    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert User.objects.get(pk=requester.pk).time_zone == ""
    assert not AuditEvent.objects.filter(action="user.profile_updated").exists()


def test_saving_an_unchanged_profile_writes_nothing(client, requester):
    client.force_login(requester)

    response = client.post("/profile/", _profile_form(requester))

    assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="user.profile_updated").exists()


@pytest.mark.parametrize(
    ("path", "translated"),
    [("/", "自助服务门户"), ("/profile/", "个人资料"), ("/password/change/", "语言")],
)
def test_pages_render_in_the_users_language(client, requester, path, translated):
    client.force_login(requester)
    client.post("/profile/", _profile_form(requester, language="zh-hans"))

    response = client.get(path, headers={"Accept-Language": "en"})

    html = _html(response)
    assert '<html lang="zh-hans">' in html
    assert translated in html


def test_pages_follow_the_browser_when_the_user_has_no_language(client, requester):
    client.force_login(requester)

    assert '<html lang="en">' in _html(client.get("/", headers={"Accept-Language": "en"}))
    assert '<html lang="zh-hans">' in _html(client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}))


@pytest.mark.parametrize(
    ("language", "time_zone", "shown"),
    [
        ("zh-hans", "Asia/Shanghai", "2026年1月16日 07:30"),
        ("en", "America/New_York", "15 Jan 2026, 18:30"),
        ("en", "", "15 Jan 2026, 23:30"),
    ],
)
def test_times_are_shown_in_the_users_time_zone(client, requester, language, time_zone, shown):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    ApiToken.objects.filter(pk=token.pk).update(created_at=datetime(2026, 1, 15, 23, 30, tzinfo=UTC))
    client.force_login(requester)
    client.post("/profile/", _profile_form(requester, language=language, time_zone=time_zone))

    html = _html(client.get("/profile/"))

    assert f"<td>{shown}</td>" in html


def test_the_language_switcher_stores_the_signed_in_users_preference(client, requester):
    client.force_login(requester)

    response = client.post("/language/", {"language": "zh-hans", "next": "/profile/"})

    assert response.status_code == 302
    assert response.url == "/profile/"
    assert User.objects.get(pk=requester.pk).language == "zh-hans"
    assert AuditEvent.objects.get(action="user.profile_updated").data == {
        "changes": {"language": {"from": "", "to": "zh-hans"}}
    }
    assert '<html lang="zh-hans">' in _html(client.get("/profile/"))


@pytest.mark.django_db
def test_the_language_switcher_sets_only_a_cookie_for_anonymous_visitors(client, settings):
    response = client.post("/language/", {"language": "zh-hans", "next": "/login/"})

    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert '<html lang="zh-hans">' in _html(client.get("/login/"))
    assert not AuditEvent.objects.exists()


def test_the_language_switcher_ignores_an_unknown_language(client, requester):
    client.force_login(requester)

    response = client.post("/language/", {"language": "tlh", "next": "/profile/"})

    assert response.status_code == 302
    assert User.objects.get(pk=requester.pk).language == ""
    assert not AuditEvent.objects.filter(action="user.profile_updated").exists()


@pytest.mark.django_db
def test_the_language_switcher_accepts_only_post(client):
    assert client.get("/language/").status_code == 405


# API tokens on the profile page


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_creating_a_token_shows_its_key_once(client, requester, htmx):
    client.force_login(requester)
    headers = {"HX-Request": "true"} if htmx else {}

    response = client.post(
        "/profile/tokens/", {"name": "CI pipeline", "expires_in_days": "30"}, headers=headers
    )

    assert response.status_code == 200
    html = _html(response)
    key = re.search(r'id="new-token-key" type="text" value="(itsm_[\w-]+)"', html).group(1)
    token = ApiToken.objects.get(user=requester)
    assert (token.name, token.digest) == ("CI pipeline", _digest(key))
    assert token.expires_at is not None
    assert ("<html" in html) is not htmx
    assert response.templates[0].name == ("servicedesk/_tokens.html" if htmx else "servicedesk/profile.html")
    assert key not in _html(client.get("/profile/"))
    assert AuditEvent.objects.filter(action="user.token_created", actor=requester).count() == 1


def test_creating_a_token_without_a_name_shows_the_error(client, requester):
    client.force_login(requester)

    response = client.post("/profile/tokens/", {"name": ""}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "name" in response.context["token_form"].errors
    assert not ApiToken.objects.exists()


def test_creating_a_token_over_the_limit_shows_the_error(client, requester, settings):
    settings.ITSM_MAX_API_TOKENS_PER_USER = 1
    api_token_create(user=requester, actor=requester, name="first")
    client.force_login(requester)

    response = client.post("/profile/tokens/", {"name": "second"})

    assert response.status_code == 200
    assert "You have too many active tokens: revoke one first." in _html(response)
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["first"]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_revoking_a_token_from_the_profile_page(client, requester, htmx):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    client.force_login(requester)

    response = client.post(
        f"/profile/tokens/{token.pk}/revoke/", headers={"HX-Request": "true"} if htmx else {}
    )

    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="user.token_revoked", actor=requester).count() == 1
    if htmx:
        assert response.status_code == 200
        assert response.templates[0].name == "servicedesk/_tokens.html"
        assert "Revoked</span>" in _html(response)
        assert f"/profile/tokens/{token.pk}/revoke/" not in _html(response)
    else:
        assert response.status_code == 302
        assert response.url == "/profile/"


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
def test_revoking_another_users_token_answers_404(client, requester, other_requester, htmx):
    token, _key = api_token_create(user=other_requester, actor=other_requester, name="theirs")
    client.force_login(requester)

    response = client.post(
        f"/profile/tokens/{token.pk}/revoke/", headers={"HX-Request": "true"} if htmx else {}
    )

    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert not AuditEvent.objects.filter(action="user.token_revoked").exists()


def test_revoking_a_revoked_token_answers_404(client, requester):
    token, _key = api_token_create(user=requester, actor=requester, name="CI")
    api_token_revoke(token=token, actor=requester)
    client.force_login(requester)

    response = client.post(f"/profile/tokens/{token.pk}/revoke/")

    assert response.status_code == 404


@pytest.mark.django_db
def test_token_pages_need_a_signed_in_user(client):
    assert client.post("/profile/tokens/", {"name": "CI"}).url == "/login/?next=/profile/tokens/"
    assert not ApiToken.objects.exists()


# Security headers


@pytest.mark.parametrize(
    ("path", "user_fixture"),
    [
        ("/login/", None),
        ("/password/reset/", None),
        ("/", "requester"),
        ("/", "agent"),
        ("/profile/", "requester"),
        ("/password/change/", "agent"),
    ],
)
def test_pages_send_a_content_security_policy_and_have_no_inline_scripts(
    request, client, db, support_group, path, user_fixture
):
    if user_fixture:
        client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(path)

    assert response.status_code == 200
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response.headers["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    html = _html(response)
    assert "<script" in html
    assert INLINE_SCRIPT.findall(html) == []
    assert not re.search(r"<[^>]+\son[a-z]+=", html)


# Health


def test_healthz_without_a_worker_is_degraded_but_answers_200(client, db):
    with mock.patch("itsm.views.celery_app.control.ping", return_value=[]) as ping:
        response = client.get("/healthz")

    assert ping.call_count == 1
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "degraded"
    assert set(body["checks"]) == {"database", "cache", "broker", "workers"}
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["workers"] == {"ok": False, "count": 0}
    assert "no-cache" in response.headers["Cache-Control"]


def test_healthz_answers_503_when_the_database_fails(client, db):
    with (
        mock.patch("itsm.views._database", side_effect=OperationalError("could not connect to server")),
        mock.patch("itsm.views.celery_app.control.ping", return_value=[]),
    ):
        response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["checks"]["database"] == {
        "ok": False,
        "error": "OperationalError: could not connect to server",
    }
    assert body["checks"]["cache"]["ok"] is True


def test_healthz_reports_the_database_vendor(client, db):
    with mock.patch("itsm.views.celery_app.control.ping", return_value=[]):
        body = client.get("/healthz").json()

    assert body["checks"]["database"] == {"ok": True, "vendor": connection.vendor}
