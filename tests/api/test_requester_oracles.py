"""A requester learns nothing about objects they may not see: a 404 for an existing object is the same,
byte for byte and header for header, as for a missing one; no SLA or CMDB data reaches them; ids they
send in filters or in a new record answer the same whether or not the object exists."""

import pytest
from django.utils import timezone

from changes.models import StandardChange
from changes.services import change_create
from cmdb.models import Baseline, CIClass, ImportJob, RelationshipType
from incidents import services
from knowledge.services import article_create
from problems.models import KnownError
from problems.services import problem_create
from servicedesk.models import AuditEvent, BusinessCalendar, SLAClock, SLAPolicy, WebhookSubscription
from servicedesk.services.tokens import api_token_create
from servicedesk.sla.calendars import calendar_set_hours

from ..cmdb.factories import CIFactory, CIRelationshipFactory
from ..factories import OrganisationFactory
from ..incidents.factories import BusinessServiceFactory
from ..sla.conftest import make_policy

MISSING = 987_654
REQUEST_ID = "oracle-check"


@pytest.fixture
def hidden(db, agent, other_requester, support_group):
    """One object of each kind the requester may not see, by the API path that names it."""
    ci = CIFactory(name="db-payroll-01")
    relationship = CIRelationshipFactory()
    token, _key = api_token_create(user=agent, actor=agent, name="agent laptop")
    record = services.incident_create(actor=other_requester, title="Someone else's trouble")
    problem = problem_create(actor=agent, title="An internal problem")
    draft = KnownError.objects.create(problem=problem, title="A draft")
    article = article_create(actor=agent, language="en", title="A draft article", body="Internal.")
    change = change_create(actor=agent, title="Someone else's change")
    standard = StandardChange.objects.create(
        name="Restart", implementation_plan="i", test_plan="t", backout_plan="b"
    )
    return {
        "changes": change.number,
        "changes/{id}/transitions": change.number,
        "changes/{id}/review": change.number,
        "changes/{id}/complete": change.number,
        "standard-changes": standard.pk,
        "problems": problem.number,
        "problems/{id}/transitions": problem.number,
        "known-errors": draft.pk,
        "known-errors/{id}/apply": draft.pk,
        "knowledge/articles": article.number,
        "knowledge/articles/{id}/transition": article.number,
        "cis": ci.pk,
        "cis/{id}/impact": ci.pk,
        "cis/{id}/relationships": ci.pk,
        "cis/{id}/history": ci.pk,
        "cis/{id}/transitions": ci.pk,
        "ci-classes": CIClass.objects.order_by("pk").first().pk,
        "relationship-types": RelationshipType.objects.order_by("pk").first().pk,
        "ci-relationships": relationship.pk,
        "baselines": Baseline.objects.create(name="Before the upgrade").pk,
        "imports": ImportJob.objects.create(kind=ImportJob.Kind.CIS, source="api").pk,
        "users": agent.pk,
        "organisations": OrganisationFactory(name="Fabrikam").pk,
        "support-groups": support_group.pk,
        "support-groups/{id}/members": support_group.pk,
        "me/tokens": token.pk,
        "audit-events": AuditEvent.objects.order_by("pk").first().pk,
        "webhooks": WebhookSubscription.objects.create(name="Chat", url="https://hooks.example/x").pk,
        "sla-policies": SLAPolicy.objects.create(
            name="Standard", calendar=BusinessCalendar.objects.create(name="Office")
        ).pk,
        "business-calendars": BusinessCalendar.objects.get(name="Office").pk,
        "incidents": record.number,
    }


def _path(template: str, value) -> str:
    if "{id}" in template:
        return "/api/v1/" + template.format(id=value) + "/"
    return f"/api/v1/{template}/{value}/"


def _missing(value):
    return "INC0999999" if isinstance(value, str) else MISSING


def _answer(response) -> tuple:
    headers = sorted((name, value) for name, value in response.headers.items())
    return response.status_code, headers, response.content


READS = [
    "cis",
    "cis/{id}/impact",
    "cis/{id}/relationships",
    "cis/{id}/history",
    "cis/{id}/transitions",
    "ci-classes",
    "relationship-types",
    "ci-relationships",
    "baselines",
    "imports",
    "users",
    "organisations",
    "support-groups",
    "audit-events",
    "webhooks",
    "sla-policies",
    "business-calendars",
    "incidents",
    "problems",
    "known-errors",
    "knowledge/articles",
    "changes",
    "standard-changes",
]


@pytest.mark.parametrize("endpoint", READS)
def test_a_requester_gets_the_same_404_for_an_existing_and_a_missing_object(
    endpoint, hidden, requester, api_as
):
    client = api_as(requester)
    existing = client.get(_path(endpoint, hidden[endpoint]), HTTP_X_REQUEST_ID=REQUEST_ID)
    missing = client.get(_path(endpoint, _missing(hidden[endpoint])), HTTP_X_REQUEST_ID=REQUEST_ID)

    # 404, or 403 where the whole endpoint is closed to requesters before any object is looked at.
    assert existing.status_code in (403, 404), existing.content
    assert _answer(existing) == _answer(missing)


WRITES = [
    ("patch", "users", {"full_name": "Mallory"}),
    ("patch", "organisations", {"name": "Mallory Ltd"}),
    ("patch", "support-groups", {"description": "Mine now"}),
    ("post", "support-groups/{id}/members", {"user": 1}),
    ("patch", "cis", {"name": "mine"}),
    ("post", "cis/{id}/transitions", {"to": "retired"}),
    ("delete", "ci-relationships", None),
    ("delete", "me/tokens", None),
    ("patch", "webhooks", {"name": "Mine"}),
    ("patch", "incidents", {"title": "Mine"}),
    ("patch", "problems", {"title": "Mine"}),
    ("post", "problems/{id}/transitions", {"to": "investigating"}),
    ("patch", "known-errors", {"title": "Mine"}),
    ("post", "known-errors/{id}/apply", {"incident": "INC0000001"}),
    ("patch", "knowledge/articles", {"audience": "portal"}),
    ("post", "knowledge/articles/{id}/transition", {"to": "review"}),
    ("patch", "changes", {"title": "Mine"}),
    ("post", "changes/{id}/transitions", {"to": "submitted"}),
    ("post", "changes/{id}/review", {"outcome": "successful"}),
    ("post", "changes/{id}/complete", {"outcome": "successful"}),
    ("patch", "standard-changes", {"name": "Mine"}),
]


@pytest.mark.parametrize(("method", "endpoint", "body"), WRITES)
def test_a_requester_writing_to_an_object_they_cannot_see_gets_the_same_404_as_for_a_missing_one(
    method, endpoint, body, hidden, requester, api_as
):
    client = api_as(requester)
    send = getattr(client, method)
    existing = send(_path(endpoint, hidden[endpoint]), body, format="json", HTTP_X_REQUEST_ID=REQUEST_ID)
    missing = send(
        _path(endpoint, _missing(hidden[endpoint])), body, format="json", HTTP_X_REQUEST_ID=REQUEST_ID
    )

    assert existing.status_code in (403, 404), existing.content
    assert _answer(existing) == _answer(missing)


# Ids in filters and in a new record


@pytest.fixture
def others(db, agent, other_requester, support_group):
    """Ids of things that exist but the requester may not see, next to ids that exist nowhere."""
    return {
        "user": agent.pk,
        "organisation": other_requester.organisation_id,
        "support_group": support_group.pk,
        "ci": CIFactory(name="fw-edge-01").pk,
    }


LIST_FILTERS = [
    ("users", "organisation", "organisation"),
    ("users", "support_group", "support_group"),
    ("support-groups", "member", "user"),
    ("support-groups", "manager", "user"),
    ("incidents", "assignee", "user"),
    ("incidents", "requester", "user"),
    ("incidents", "support_group", "support_group"),
    ("incidents", "ci", "ci"),
    ("requests", "ci", "ci"),
    ("problems", "assignee", "user"),
    ("problems", "support_group", "support_group"),
    ("problems", "ci", "ci"),
    ("known-errors", "ci", "ci"),
    ("changes", "assignee", "user"),
    ("changes", "support_group", "support_group"),
    ("changes", "ci", "ci"),
    ("standard-changes", "service", "ci"),
]


@pytest.mark.parametrize(("endpoint", "name", "kind"), LIST_FILTERS)
def test_a_filter_answers_a_requester_the_same_for_an_existing_and_a_missing_id(
    endpoint, name, kind, others, requester, api_as
):
    client = api_as(requester)
    existing = client.get(f"/api/v1/{endpoint}/", {name: others[kind]}, HTTP_X_REQUEST_ID=REQUEST_ID)
    missing = client.get(f"/api/v1/{endpoint}/", {name: MISSING}, HTTP_X_REQUEST_ID=REQUEST_ID)

    assert _answer(existing) == _answer(missing)


@pytest.mark.parametrize(
    "field",
    ["affected_cis", "assignee", "requester", "support_group"],
)
def test_a_requester_filing_with_agent_fields_gets_the_same_answer_for_existing_and_missing_ids(
    field, others, requester, api_as
):
    kind = {"affected_cis": "ci", "assignee": "user", "requester": "user", "support_group": "support_group"}[
        field
    ]

    def value(pk):
        return [pk] if field == "affected_cis" else pk

    client = api_as(requester)
    existing = client.post(
        "/api/v1/incidents/",
        {"title": "Broken", field: value(others[kind])},
        format="json",
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )
    missing = client.post(
        "/api/v1/incidents/",
        {"title": "Broken", field: value(MISSING)},
        format="json",
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )

    assert existing.status_code == 403, existing.content
    assert _answer(existing) == _answer(missing)


def test_a_requester_naming_a_service_gets_the_same_error_for_any_ci_that_is_not_a_service(
    others, requester, api_as
):
    client = api_as(requester)
    not_a_service = client.post(
        "/api/v1/incidents/", {"title": "Broken", "service": others["ci"]}, format="json"
    )
    missing = client.post("/api/v1/incidents/", {"title": "Broken", "service": MISSING}, format="json")

    assert not_a_service.status_code == 400
    assert not_a_service.json()["fields"].keys() == {"service"}
    assert not_a_service.json()["fields"]["service"] == [
        message.replace(str(MISSING), str(others["ci"])) for message in missing.json()["fields"]["service"]
    ]


def test_a_requester_choosing_an_assignee_in_a_transition_gets_the_same_answer_for_any_id(
    requester, agent, api_as
):
    record = services.incident_create(actor=requester, title="Broken")
    client = api_as(requester)
    url = f"/api/v1/incidents/{record.number}/transitions/"

    existing = client.post(
        url, {"to": "assigned", "assignee": agent.pk}, format="json", HTTP_X_REQUEST_ID="t"
    )
    missing = client.post(url, {"to": "assigned", "assignee": MISSING}, format="json", HTTP_X_REQUEST_ID="t")

    assert existing.status_code == 403, existing.content
    assert _answer(existing) == _answer(missing)


# What a requester's own records show


@pytest.fixture
def own_record(requester, agent, support_group):
    """The requester's incident, with an affected CI (set by an agent) and SLA clocks (24x7 policy)."""
    calendar = BusinessCalendar.objects.create(name="24x7", time_zone="UTC")
    calendar_set_hours(calendar=calendar, actor=None, weekly={day: [(0, 1440)] for day in range(7)})
    make_policy(calendar)
    service = BusinessServiceFactory(name="Payroll", support_group=support_group)
    record = services.incident_create(actor=requester, title="Payslip missing", service=service)
    services.incident_update(record=record, actor=agent, affected_cis=[CIFactory(name="db-payroll-01")])
    return record


def test_a_requester_sees_no_affected_cis_or_sla_clocks_on_their_own_record(
    own_record, requester, agent, api_as
):
    as_requester = api_as(requester).get(f"/api/v1/incidents/{own_record.number}/").json()
    as_agent = api_as(agent).get(f"/api/v1/incidents/{own_record.number}/").json()

    assert [ci["name"] for ci in as_agent["affected_cis"]] == ["db-payroll-01"]
    assert (as_requester["affected_cis"], as_requester["sla"]) == ([], [])


def test_the_sla_filters_are_ignored_for_a_requester(own_record, requester, api_as):
    SLAClock.objects.filter(object_id=own_record.pk).update(breached_at=timezone.now())
    client = api_as(requester)

    plain = client.get("/api/v1/incidents/").json()["results"]
    breached = client.get("/api/v1/incidents/", {"sla_breached": "true"}).json()["results"]
    not_breached = client.get("/api/v1/incidents/", {"sla_breached": "false"}).json()["results"]
    due_soon = client.get("/api/v1/incidents/", {"sla_breaching_within": "60"}).json()["results"]

    assert [row["number"] for row in plain] == [own_record.number]
    assert breached == not_breached == due_soon == plain


def test_an_agent_still_filters_by_sla_and_ci(own_record, agent, api_as):
    client = api_as(agent)
    SLAClock.objects.filter(object_id=own_record.pk).update(breached_at=timezone.now())
    ci = own_record.affected_cis.get()

    breached = client.get("/api/v1/incidents/", {"sla_breached": "true"}).json()["results"]
    not_breached = client.get("/api/v1/incidents/", {"sla_breached": "false"}).json()["results"]
    by_ci = client.get("/api/v1/incidents/", {"ci": ci.pk}).json()["results"]
    unknown_ci = client.get("/api/v1/incidents/", {"ci": MISSING})

    assert [row["number"] for row in breached] == [own_record.number]
    assert not_breached == []
    assert [row["number"] for row in by_ci] == [own_record.number]
    assert unknown_ci.status_code == 400


def test_the_portal_page_shows_a_requester_no_ci_and_no_sla(own_record, requester, client):
    SLAClock.objects.filter(object_id=own_record.pk).update(breached_at=timezone.now())
    client.force_login(requester)

    page = client.get(f"/records/{own_record.number}/", follow=True)

    assert page.status_code == 200
    content = page.content.decode()
    assert own_record.title in content
    assert "db-payroll-01" not in content
    assert "SLA" not in content
    assert 'data-testid="sla' not in content
