"""The known error API (`/api/v1/known-errors/`): who reads which entries, search and its ranking
(English, Chinese, typos), filters, edits with If-Match, publishing, applying a workaround, usage counts."""

import pytest

from incidents import services as incident_services
from incidents.models import Incident
from problems import workflow as wf
from problems.models import Deflection, KnownError, Problem
from problems.selectors import known_error_search, problem_of_incident
from problems.services import known_error_publish, problem_create
from servicedesk.records.transitions import record_transition
from servicedesk.services.numbering import number_allocate

from ..api.helpers import assert_error, version_tag
from ..cmdb.factories import CIFactory
from ..incidents.factories import BusinessServiceFactory

KEDB = "/api/v1/known-errors/"


def url(known_error, tail=""):
    return f"{KEDB}{known_error.pk}/{tail}"


def publish(manager, problem, status, **analysis):
    analysis.setdefault("root_cause", "Idle timeout 60 s")
    analysis.setdefault("workaround", "Disconnect and **reconnect**.")
    record_transition(record=problem, actor=manager, to=wf.KNOWN_ERROR, **analysis)
    return known_error_publish(actor=manager, problem=problem, status=status)


def entry(
    manager, title, status=KnownError.Status.PORTAL, *, symptoms="", workaround="Restart it.", service=None
):
    """A known error straight from a new problem (for searches)."""
    problem = problem_create(actor=manager, title=title, symptoms=symptoms, service=service)
    return publish(manager, problem, status, workaround=workaround)


@pytest.fixture
def portal_entry(problem_manager, problem):
    return publish(problem_manager, problem, KnownError.Status.PORTAL)


@pytest.fixture
def new_incident(requester, service):
    return incident_services.incident_create(actor=requester, title="VPN keeps dropping", service=service)


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# Who reads what.


def test_each_role_reads_what_is_published_to_it(problem_manager, agent, requester, api_as):
    draft = entry(problem_manager, "Draft entry", KnownError.Status.DRAFT)
    agents = entry(problem_manager, "For agents", KnownError.Status.AGENTS)
    portal = entry(problem_manager, "For everyone", KnownError.Status.PORTAL)
    retired = entry(problem_manager, "Old one", KnownError.Status.RETIRED)

    assert set(ids(api_as(problem_manager).get(KEDB))) == {draft.pk, agents.pk, portal.pk, retired.pk}
    assert set(ids(api_as(agent).get(KEDB))) == {agents.pk, portal.pk, retired.pk}
    assert ids(api_as(requester).get(KEDB)) == [portal.pk]
    assert_error(api_as(agent).get(url(draft)), 404, "not_found")
    for hidden in (draft, agents, retired):
        assert_error(api_as(requester).get(url(hidden)), 404, "not_found")


def test_a_requester_reads_the_workaround_but_nothing_internal(
    requester, agent, portal_entry, problem, api_as
):
    body = api_as(requester).get(url(portal_entry)).json()
    assert body["workaround"] == "Disconnect and **reconnect**."
    assert "<strong>reconnect</strong>" in body["workaround_html"]
    assert (body["problem"], body["root_cause"], body["cis"]) == (None, "", [])
    assert api_as(requester).get(f"/api/v1/problems/{problem.number}/").status_code == 404

    internal = api_as(agent).get(url(portal_entry)).json()
    assert (internal["problem"], internal["root_cause"]) == (problem.number, "Idle timeout 60 s")


def test_an_entry_answers_its_etag_and_304(agent, portal_entry, api_as):
    client = api_as(agent)
    response = client.get(url(portal_entry))
    assert version_tag(response) == portal_entry.etag
    assert client.get(url(portal_entry), HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304


def test_anonymous_callers_are_refused(api_client):
    assert_error(api_client.get(KEDB), 401)


@pytest.mark.parametrize("path", [f"{KEDB}999999/", f"{KEDB}abc/"])
def test_an_unknown_entry_is_a_404(path, agent, api_as):
    assert api_as(agent).get(path).status_code == 404


# Filters.


def test_the_filters(problem_manager, agent, requester, service, api_as):
    vpn = entry(problem_manager, "VPN drops", service=service)
    mail = entry(problem_manager, "Mail is slow", KnownError.Status.AGENTS, service=BusinessServiceFactory())
    ci = CIFactory(name="mail-01")
    mail.cis.set([ci])
    client = api_as(agent)
    assert ids(client.get(KEDB, {"service": service.pk})) == [vpn.pk]
    assert ids(client.get(KEDB, {"status": "agents"})) == [mail.pk]
    assert set(ids(client.get(KEDB, {"status": ["agents", "portal"]}))) == {vpn.pk, mail.pk}
    assert ids(client.get(KEDB, {"ci": ci.pk})) == [mail.pk]
    # CMDB ids are for agents: a requester's CI filter is ignored, whether or not the id exists.
    assert ids(api_as(requester).get(KEDB, {"ci": 999_999})) == [vpn.pk]


@pytest.mark.parametrize(
    "params", [{"status": "public"}, {"service": "999999"}, {"ci": "x"}, {"q": ["a", "b"]}]
)
def test_a_filter_it_cannot_read_is_a_400(params, agent, api_as):
    assert_error(api_as(agent).get(KEDB, params), 400, "validation_error")


# Search.


def test_a_title_match_comes_before_a_match_in_the_body(problem_manager, agent, api_as):
    body_match = entry(problem_manager, "Jobs stuck in the queue", workaround="Restart the printer spooler.")
    title_match = entry(problem_manager, "Printer offline after update", workaround="Reinstall the driver.")
    symptom_match = entry(problem_manager, "Jobs vanish", symptoms="The printer shows nothing.")
    entry(problem_manager, "VPN drops")

    response = api_as(agent).get(KEDB, {"q": "printer"})
    assert ids(response) == [title_match.pk, symptom_match.pk, body_match.pk]
    ranks = [row["search_rank"] for row in response.json()["results"]]
    assert ranks == sorted(ranks, reverse=True)
    assert ranks[0] > ranks[1] > ranks[2] > 0


def test_chinese_is_found_by_a_two_character_word(problem_manager, requester, api_as):
    chinese = entry(problem_manager, "打印机无法连接网络", workaround="重新启动打印机。")
    entry(problem_manager, "邮件发送失败")
    assert ids(api_as(requester).get(KEDB, {"q": "网络"})) == [chinese.pk]
    assert ids(api_as(requester).get(KEDB, {"q": "打印"})) == [chinese.pk]
    assert ids(api_as(requester).get(KEDB, {"q": "网页"})) == []


def test_a_typo_still_finds_the_entry_after_exact_matches(problem_manager, agent, api_as):
    vpn = entry(problem_manager, "VPN drops")
    entry(problem_manager, "Outlook cannot connect")
    assert ids(api_as(agent).get(KEDB, {"q": "vpm dropps"})) == [vpn.pk]
    assert ids(api_as(agent).get(KEDB, {"q": "VPN drops"})) == [vpn.pk]
    assert ids(api_as(agent).get(KEDB, {"q": "spreadsheet macro"})) == []


def test_search_keeps_to_what_the_caller_may_read(problem_manager, requester, api_as):
    entry(problem_manager, "VPN drops for agents", KnownError.Status.AGENTS)
    portal = entry(problem_manager, "VPN drops at night")
    assert ids(api_as(requester).get(KEDB, {"q": "vpn drops"})) == [portal.pk]


def test_a_search_answers_the_best_matches_on_one_page(problem_manager, agent, api_as):
    for n in range(3):
        entry(problem_manager, f"Printer fault {n}")
    response = api_as(agent).get(KEDB, {"q": "printer", "page_size": 2})
    assert len(ids(response)) == 2
    assert response.json()["next"] is None


def test_the_selector_finds_the_same_for_the_portal(problem_manager, agent):
    entry(problem_manager, "VPN drops", KnownError.Status.AGENTS)
    portal = entry(problem_manager, "VPN slow")
    assert [row.pk for row in known_error_search(user=agent, text="vpn", portal=True)] == [portal.pk]


# Editing and publishing.


def test_a_problem_manager_edits_an_entry_with_if_match(problem_manager, portal_entry, service, api_as):
    client = api_as(problem_manager)
    etag = client.get(url(portal_entry))["ETag"]
    ci = CIFactory(name="vpn-gw-01")
    response = client.patch(
        url(portal_entry),
        {
            "title": "VPN drops every hour",
            "workaround": "Reconnect.",
            "cis": [ci.pk],
            "services": [service.pk],
        },
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["workaround"]) == ("VPN drops every hour", "Reconnect.")
    assert body["version"] == portal_entry.version + 1
    assert body["cis"] == [{"id": ci.pk, "name": "vpn-gw-01"}]
    assert_error(client.patch(url(portal_entry), {"title": "Again"}, HTTP_IF_MATCH=etag), 412, "stale_write")
    portal_entry.refresh_from_db()
    assert portal_entry.title == "VPN drops every hour"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"title": ""}, "title"), ({"services": [999_999]}, "services"), ({"cis": "x"}, "cis")],
)
def test_edits_refuse_bad_values(body, field, problem_manager, portal_entry, api_as):
    response = api_as(problem_manager).patch(url(portal_entry), body)
    assert field in assert_error(response, 400, "validation_error")["fields"]


def test_agents_and_requesters_do_not_edit(agent, requester, portal_entry, api_as):
    assert_error(api_as(agent).patch(url(portal_entry), {"title": "Mine"}), 403, "permission_denied")
    assert_error(api_as(requester).patch(url(portal_entry), {"title": "Mine"}), 403, "permission_denied")


def test_publishing_moves_an_entry_between_audiences(problem_manager, requester, portal_entry, api_as):
    client = api_as(problem_manager)
    response = client.post(url(portal_entry, "publish/"), {"status": "agents"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "agents"
    assert_error(api_as(requester).get(url(portal_entry)), 404)
    retired = api_as(problem_manager).post(url(portal_entry, "publish/"), {"status": "retired"})
    assert retired.status_code == 200, retired.content
    assert retired.json()["retired_at"] is not None


def test_publishing_is_for_problem_managers_and_known_statuses(problem_manager, agent, portal_entry, api_as):
    assert_error(api_as(agent).post(url(portal_entry, "publish/"), {"status": "draft"}), 403)
    body = assert_error(
        api_as(problem_manager).post(url(portal_entry, "publish/"), {"status": "public"}), 400
    )
    assert "status" in body["fields"]


def test_publishing_with_a_stale_etag_is_a_412(problem_manager, portal_entry, api_as):
    client = api_as(problem_manager)
    etag = client.get(url(portal_entry))["ETag"]
    client.patch(url(portal_entry), {"title": "Renamed"})
    assert_error(client.post(url(portal_entry, "publish/"), {"status": "agents"}, HTTP_IF_MATCH=etag), 412)


# Applying the workaround.


def test_an_agent_applies_the_workaround_and_resolves(agent, portal_entry, problem, new_incident, api_as):
    response = api_as(agent).post(
        url(portal_entry, "apply/"), {"incident": new_incident.number, "resolve": True}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["applied_count"], response.json()["reopened_count"]) == (1, 0)
    new_incident.refresh_from_db()
    assert new_incident.status == "resolved"
    assert new_incident.resolution_code == Incident.ResolutionCode.WORKAROUND
    assert problem_of_incident(new_incident) == problem

    Incident.objects.filter(pk=new_incident.pk).update(reopen_count=1)
    counted = api_as(agent).get(KEDB).json()["results"][0]
    assert (counted["applied_count"], counted["reopened_count"]) == (1, 1)


def test_applying_without_resolving_leaves_the_incident_open(agent, portal_entry, new_incident, api_as):
    response = api_as(agent).post(url(portal_entry, "apply/"), {"incident": new_incident.number})
    assert response.status_code == 200, response.content
    new_incident.refresh_from_db()
    assert new_incident.status != "resolved"


def test_applying_twice_is_a_409(agent, portal_entry, new_incident, api_as):
    client = api_as(agent)
    client.post(url(portal_entry, "apply/"), {"incident": new_incident.number})
    assert_error(
        client.post(url(portal_entry, "apply/"), {"incident": new_incident.number}), 409, "already_applied"
    )


def test_an_incident_of_another_problem_is_a_409(agent, portal_entry, new_incident, api_as):
    problem_create(actor=agent, title="Other", incidents=[new_incident])
    body = {"incident": new_incident.number}
    assert_error(api_as(agent).post(url(portal_entry, "apply/"), body), 409, "other_problem")


@pytest.mark.parametrize("number", ["INC9999999", "PRB0000001", "nonsense"])
def test_an_incident_that_cannot_be_found_is_a_400(number, agent, portal_entry, api_as):
    body = assert_error(api_as(agent).post(url(portal_entry, "apply/"), {"incident": number}), 400)
    assert "incident" in body["fields"]


def test_requesters_do_not_apply_workarounds(requester, portal_entry, new_incident, api_as):
    body = {"incident": new_incident.number}
    assert_error(api_as(requester).post(url(portal_entry, "apply/"), body), 403, "permission_denied")


def test_a_retired_entry_is_not_applied(agent, problem_manager, portal_entry, new_incident, api_as):
    known_error_publish(actor=problem_manager, problem=portal_entry.problem, status=KnownError.Status.RETIRED)
    body = {"incident": new_incident.number}
    assert "known_error" in assert_error(api_as(agent).post(url(portal_entry, "apply/"), body), 400)["fields"]


def test_a_requester_never_reads_the_problems_description(problem_manager, requester, api_as):
    problem = problem_create(
        actor=problem_manager, title="VPN drops", description="Raised from INC0000042: Ann's laptop, desk 12."
    )
    known_error = publish(problem_manager, problem, KnownError.Status.PORTAL)

    body = api_as(requester).get(url(known_error)).json()
    assert (body["symptoms"], body["symptoms_html"]) == ("", "")
    assert "desk 12" not in str(body)


# Deflection counts.


def test_entries_count_what_the_portal_deflected(problem_manager, agent, requester, portal_entry, api_as):
    quiet = entry(problem_manager, "Printer jams")
    Deflection.objects.bulk_create(
        Deflection(known_error=portal_entry, outcome=outcome)
        for outcome in ("shown", "shown", "shown", "accepted", "filed")
    )

    def counts(row):
        return row["shown_count"], row["accepted_count"], row["filed_count"]

    for user in (agent, requester):
        rows = {row["id"]: counts(row) for row in api_as(user).get(KEDB).json()["results"]}
        assert rows == {portal_entry.pk: (3, 1, 1), quiet.pk: (0, 0, 0)}
        assert counts(api_as(user).get(url(portal_entry)).json()) == (3, 1, 1)


# Query counts.


def _seed(count, manager, service):
    ci = CIFactory(name="shared")
    for n in range(count):
        problem = Problem.objects.create(
            number=number_allocate(prefix="PRB")[0],
            title=f"Fault {n}",
            requester=manager,
            status=wf.KNOWN_ERROR,
        )
        known_error = KnownError.objects.create(
            problem=problem,
            title=f"Printer fault {n}",
            workaround="Restart.",
            status=KnownError.Status.PORTAL,
        )
        known_error.services.set([service])
        known_error.cis.set([ci])


@pytest.mark.parametrize("page_size", [1, 50])
@pytest.mark.parametrize("q", ["", "printer"])
def test_the_list_runs_a_constant_number_of_queries(
    page_size, q, problem_manager, service, api_as, django_assert_max_num_queries
):
    _seed(60, problem_manager, service)
    client = api_as(problem_manager)
    client.get(KEDB, {"page_size": 1})  # warm the permission and content-type caches

    with django_assert_max_num_queries(6):
        response = client.get(KEDB, {"page_size": page_size, "q": q})

    assert len(ids(response)) == page_size
