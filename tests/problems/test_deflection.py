"""Deflection in the portal: while a requester types a new incident's title, the workarounds published to
the portal and the open major incidents on the service are suggested; "this solved it" files nothing;
each suggestion is counted as shown once per form, accepted, or filed anyway."""

import re

import pytest
from django.urls import reverse

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.deflection import deflection_counts, deflection_totals
from problems.models import Deflection, KnownError
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition

from ..factories import UserFactory

NEW_INCIDENT = reverse("incidents:portal_new_incident")
SUGGESTIONS = reverse("problems_portal:suggestions")
SOLVED = reverse("problems_portal:solved")


def _known_error(*, actor, manager, service, title, workaround, status=KnownError.Status.PORTAL, symptoms=""):
    problem = problem_create(actor=actor, title=title, service=service, symptoms=symptoms)
    problem = record_transition(
        record=problem,
        actor=actor,
        to=wf.KNOWN_ERROR,
        root_cause="Secret internal cause",
        workaround=workaround,
    )
    return known_error_publish(actor=manager, problem=problem, status=status)


@pytest.fixture
def vpn(agent, problem_manager, service):
    return _known_error(
        actor=agent, manager=problem_manager, service=service, title="VPN drops every hour",
        workaround="Disconnect and **reconnect**.", symptoms="The VPN connection ends after an hour.",
    )  # fmt: skip


@pytest.fixture
def portal(client, requester):
    client.force_login(requester)
    return client


def _token(response) -> str:
    return re.search(
        r'name="deflection_token" id="id_deflection_token" value="([^"]+)"', response.content.decode()
    )[1]


@pytest.fixture
def token(portal):
    return _token(portal.get(NEW_INCIDENT))


def _suggest(client, token, title, service=None):
    params = {"title": title, "deflection_token": token}
    if service is not None:
        params["service"] = service.pk
    return client.get(SUGGESTIONS, params, HTTP_HX_REQUEST="true")


def _outcomes():
    return sorted(Deflection.objects.values_list("outcome", "known_error_id", "major_incident_id"))


# The slot


def test_the_new_incident_form_asks_for_suggestions_as_the_title_is_typed(portal):
    html = portal.get(NEW_INCIDENT).content.decode()

    assert 'data-testid="deflection"' in html
    assert f'hx-get="{SUGGESTIONS}"' in html
    assert "input changed delay:400ms from:#id_title" in html
    assert 'hx-include="#id_title, #id_service, #id_deflection_token"' in html
    assert "load," not in html  # nothing typed yet


def test_each_form_gets_its_own_token(portal):
    assert _token(portal.get(NEW_INCIDENT)) != _token(portal.get(NEW_INCIDENT))


def test_a_form_sent_back_with_errors_keeps_its_token_and_asks_straight_away(portal, token):
    response = portal.post(NEW_INCIDENT, {"title": "VPN drops", "deflection_token": token, "urgency": 2})

    assert response.status_code == 400
    assert _token(response) == token
    assert "load, input changed" in response.content.decode()


# Suggestions


def test_typing_the_title_suggests_the_portal_workaround(portal, token, vpn):
    response = _suggest(portal, token, "VPN drops")

    html = response.content.decode()
    assert response.status_code == 200
    assert "We know about this:" in html
    assert "VPN drops every hour" in html
    assert "Disconnect and <strong>reconnect</strong>." in html
    assert f'name="known_error" value="{vpn.pk}"' in html
    assert f'formaction="{SOLVED}"' in html
    assert "This solved it" in html
    assert "No, file it" in html
    # Requesters never see the problem behind it, nor its internal cause.
    assert vpn.problem.number not in html
    assert "Secret internal cause" not in html


def test_a_chinese_title_finds_a_chinese_workaround(portal, token, agent, problem_manager, service):
    entry = _known_error(
        actor=agent, manager=problem_manager, service=service, title="VPN 每小时断线一次",
        workaround="断线后请重新连接。",
    )  # fmt: skip

    html = _suggest(portal, token, "断线").content.decode()

    assert f'name="known_error" value="{entry.pk}"' in html
    assert "断线后请重新连接。" in html


def test_only_workarounds_published_to_the_portal_are_suggested(
    portal, token, agent, problem_manager, service
):
    for status in (KnownError.Status.DRAFT, KnownError.Status.AGENTS, KnownError.Status.RETIRED):
        _known_error(
            actor=agent, manager=problem_manager, service=service, title=f"VPN drops ({status})",
            workaround="Reconnect.", status=status,
        )  # fmt: skip

    response = _suggest(portal, token, "VPN drops")

    assert "We know about this" not in response.content.decode()
    assert _outcomes() == []


def test_a_workaround_is_sanitised(portal, token, agent, problem_manager, service):
    _known_error(
        actor=agent, manager=problem_manager, service=service, title="VPN drops",
        workaround="Reconnect <script>alert(1)</script> [now](javascript:alert(2))",
    )  # fmt: skip

    html = _suggest(portal, token, "VPN drops").content.decode()

    assert "Reconnect" in html
    assert "<script>" not in html
    assert 'href="javascript' not in html


def test_nothing_is_suggested_for_a_short_or_unknown_title(portal, token, vpn):
    assert _suggest(portal, token, "VP").content.decode().strip() == ""
    assert _suggest(portal, token, "Printer on fire").content.decode().strip() == ""
    assert _outcomes() == []


def test_open_major_incidents_on_the_chosen_service_are_suggested(
    portal, token, agent, group_manager, service
):
    from ..incidents.factories import BusinessServiceFactory

    major = incident_services.incident_create(
        actor=agent, requester=agent, title="VPN is down", service=service
    )
    incident_services.incident_declare_major(record=major, actor=group_manager, is_major=True)
    other = BusinessServiceFactory(name="E-mail", support_group=service.support_group)

    html = _suggest(portal, token, "Cannot work", service=service).content.decode()
    assert "VPN is down" in html
    assert f'name="major_incident" value="{major.pk}"' in html
    assert major.number not in html
    assert "VPN is down" not in _suggest(portal, token, "Cannot work", service=other).content.decode()
    assert "VPN is down" not in _suggest(portal, token, "Cannot work").content.decode()
    incident_services.incident_declare_major(record=major, actor=group_manager, is_major=False)
    assert "VPN is down" not in _suggest(portal, token, "Cannot work", service=service).content.decode()


def test_a_suggestion_is_counted_as_shown_once_per_form(portal, token, vpn):
    _suggest(portal, token, "VPN")
    _suggest(portal, token, "VPN drops")
    _suggest(portal, token, "VPN drops every hour")
    assert _outcomes() == [("shown", vpn.pk, None)]

    _suggest(portal, _token(portal.get(NEW_INCIDENT)), "VPN drops")  # another form
    assert _outcomes() == [("shown", vpn.pk, None)] * 2


def test_a_forged_token_counts_nothing(portal, vpn):
    response = _suggest(portal, "forged", "VPN drops")

    assert "VPN drops every hour" in response.content.decode()
    assert _outcomes() == []


def test_suggestions_take_constant_queries(portal, token, agent, problem_manager, service,
                                           django_assert_max_num_queries):  # fmt: skip
    for n in range(5):
        _known_error(
            actor=agent, manager=problem_manager, service=service, title=f"VPN drops {n}",
            workaround="Reconnect.",
        )  # fmt: skip

    # 12 for the workarounds and major incidents, 2 for the knowledge articles (issue 19).
    with django_assert_max_num_queries(14):
        html = _suggest(portal, token, "VPN drops", service=service).content.decode()

    assert html.count("This solved it") == 3


# "This solved it"


def test_this_solved_it_files_nothing_and_counts(portal, token, vpn, requester):
    _suggest(portal, token, "VPN drops")

    response = portal.post(
        SOLVED, {"title": "VPN drops", "deflection_token": token, "known_error": vpn.pk}, follow=True
    )

    assert response.redirect_chain == [(reverse("incidents:portal"), 302)]
    assert "Glad that solved it. Nothing was filed" in response.content.decode()
    assert not Incident.objects.filter(requester=requester).exists()
    assert _outcomes() == [("accepted", vpn.pk, None), ("shown", vpn.pk, None)]
    assert Deflection.objects.get(outcome="accepted").user == requester


def test_a_form_is_accepted_once(portal, token, vpn):
    _suggest(portal, token, "VPN drops")
    data = {"title": "VPN drops", "deflection_token": token, "known_error": vpn.pk}

    portal.post(SOLVED, data)
    portal.post(SOLVED, data)

    assert Deflection.objects.filter(outcome="accepted").count() == 1


def test_a_major_incident_solves_it_too(portal, token, agent, group_manager, service):
    major = incident_services.incident_create(
        actor=agent, requester=agent, title="VPN is down", service=service
    )
    incident_services.incident_declare_major(record=major, actor=group_manager, is_major=True)

    response = portal.post(SOLVED, {"deflection_token": token, "major_incident": major.pk})

    assert response.status_code == 302
    assert _outcomes() == [("accepted", None, major.pk)]


@pytest.mark.parametrize(
    "status", [KnownError.Status.DRAFT, KnownError.Status.AGENTS, KnownError.Status.RETIRED]
)
def test_only_a_portal_workaround_can_be_accepted(portal, token, vpn, problem_manager, status):
    known_error_publish(actor=problem_manager, problem=vpn.problem, status=status)

    response = portal.post(SOLVED, {"deflection_token": token, "known_error": vpn.pk})

    assert response.status_code == 404
    assert _outcomes() == []


@pytest.mark.parametrize(
    "data", [{"known_error": "999999"}, {"known_error": "x"}, {"major_incident": "1"}, {}]
)
def test_accepting_what_does_not_exist_is_not_found(portal, token, incident, data):
    response = portal.post(SOLVED, {"deflection_token": token, **data})

    assert response.status_code == 404


# Filing anyway


def test_filing_anyway_counts_what_the_form_showed(portal, token, vpn, requester):
    _suggest(portal, token, "VPN drops")

    response = portal.post(
        NEW_INCIDENT,
        {"title": "VPN drops", "description": "Again.", "urgency": 2, "deflection_token": token},
    )

    assert response.status_code == 302
    assert Incident.objects.filter(requester=requester, title="VPN drops").exists()
    assert _outcomes() == [("filed", vpn.pk, None), ("shown", vpn.pk, None)]


def test_filing_without_suggestions_counts_nothing(portal, token, requester):
    response = portal.post(
        NEW_INCIDENT, {"title": "Printer", "description": "Jam.", "urgency": 2, "deflection_token": token}
    )

    assert response.status_code == 302
    assert _outcomes() == []


def test_filing_after_accepting_counts_nothing_more(portal, token, vpn):
    _suggest(portal, token, "VPN drops")
    portal.post(SOLVED, {"deflection_token": token, "known_error": vpn.pk})

    portal.post(NEW_INCIDENT, {"title": "VPN", "description": "x", "urgency": 2, "deflection_token": token})

    assert _outcomes() == [("accepted", vpn.pk, None), ("shown", vpn.pk, None)]


# Counts


def test_counts_per_known_error_in_one_query(portal, vpn, agent, problem_manager, service,
                                             django_assert_num_queries):  # fmt: skip
    quiet = _known_error(
        actor=agent, manager=problem_manager, service=service, title="Printer jams", workaround="Open tray 2."
    )
    for outcome in ("shown", "shown", "shown", "accepted", "filed"):
        Deflection.objects.create(known_error=vpn, outcome=outcome)

    with django_assert_num_queries(1):
        counts = deflection_counts([vpn, quiet])

    assert counts == {vpn.pk: {"shown": 3, "accepted": 1, "filed": 1}}
    assert deflection_totals() == {"shown": 3, "accepted": 1, "filed": 1}


# Who may ask


def test_only_portal_users_get_suggestions(client, vpn, token):
    client.force_login(UserFactory(username="noportal", roles=[]))

    assert client.get(SUGGESTIONS, {"title": "VPN drops"}).status_code == 403
    assert client.post(SOLVED, {"known_error": vpn.pk}).status_code == 403
    assert _outcomes() == []


def test_anonymous_people_are_sent_to_sign_in(client, vpn):
    assert client.get(SUGGESTIONS, {"title": "VPN drops"}).status_code == 302
    assert client.post(SOLVED, {"known_error": vpn.pk}).status_code == 302
    assert _outcomes() == []


def test_suggestions_are_read_and_solving_is_posted(portal, vpn):
    assert portal.post(SUGGESTIONS, {"title": "VPN drops"}).status_code == 405
    assert portal.get(SOLVED, {"known_error": vpn.pk}).status_code == 405


# Following the major incident instead of filing (issue 19, item 5)


def test_a_suggested_major_incident_offers_to_follow_it(portal, token, agent, group_manager, service):
    major = incident_services.incident_create(
        actor=agent, requester=agent, title="VPN is down", service=service
    )
    incident_services.incident_declare_major(record=major, actor=group_manager, is_major=True)

    html = _suggest(portal, token, "", service=service).content.decode()

    assert f'name="follow_major_incident" value="{major.pk}"' in html


def test_following_a_suggested_major_incident_files_nothing_and_watches_it(
    portal, token, agent, group_manager, service, requester
):
    from servicedesk.services.watchers import watching

    major = incident_services.incident_create(
        actor=agent, requester=agent, title="VPN is down", service=service
    )
    major = incident_services.incident_declare_major(record=major, actor=group_manager, is_major=True)

    response = portal.post(SOLVED, {"deflection_token": token, "follow_major_incident": major.pk})

    assert response.status_code == 302
    assert watching(major, requester)
    assert _outcomes() == [("accepted", None, major.pk)]
    assert Incident.objects.count() == 1
    incident_services.incident_declare_major(record=major, actor=group_manager, is_major=False)
    again = portal.post(SOLVED, {"deflection_token": token, "follow_major_incident": major.pk})
    assert again.status_code == 404
