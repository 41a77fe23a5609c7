"""The SQL behind the record page, the record API and the writes (issue 14), on a desk as production has it:
an SLA policy with warnings and an escalation rule, a webhook subscription, a record with a conversation."""

import pytest
from rest_framework.test import APIClient

from incidents import services
from servicedesk.models import EscalationRule, SLAClock, SLASegment
from servicedesk.services.webhooks import webhook_subscription_create

from ..sla.conftest import always, make_policy  # noqa: F401 (fixture)

INCIDENTS = "/api/v1/incidents/"
# Issue 19: + 2 for a comment and a transition (the watchers read, the in-app notifications).
PAGE_COMMENT, PAGE_TRANSITION = 18, 27


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def desk(always, support_group):  # noqa: F811
    policy = make_policy(always, warning_percents=[50, 75], pause_on=["on_hold:requester"])
    EscalationRule.objects.create(policy=policy, metric="response", percent=100, notify_group_manager=True)
    webhook_subscription_create(
        actor=None,
        name="CRM",
        url="https://crm.example/hooks",
        events=["incident.created", "incident.resolved", "incident.commented", "incident.updated"],
    )
    return policy


@pytest.fixture
def record(desk, requester, agent, service):
    record = services.incident_create(actor=requester, title="Outlook does not start", service=service)
    services.incident_comment(record=record, actor=agent, body="Looking", is_public=True)
    return record


def test_the_record_api_reads_the_record_once(record, agent, django_assert_max_num_queries):
    client = client_for(agent)
    with django_assert_max_num_queries(7) as captured:
        answer = client.get(f"{INCIDENTS}{record.number}/")
    assert answer.status_code == 200
    fetches = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "incidents_incident"."id"')
    ]
    assert len(fetches) == 1


def test_the_record_page_queries_stay_few(client, record, agent, django_assert_max_num_queries):
    client.force_login(agent)
    client.get(f"/records/{record.number}/")
    # 23, and one each for the macro chooser, the watchers box and the bell's unread count (issue 19).
    with django_assert_max_num_queries(26):
        assert client.get(f"/records/{record.number}/").status_code == 200


@pytest.mark.parametrize("as_agent", [False, True])
def test_creating_through_the_api_writes_in_few_statements(
    desk, requester, agent, service, as_agent, django_assert_max_num_queries
):
    client = client_for(agent if as_agent else requester)
    payload = {"title": "VPN drops", "service": service.pk, "urgency": 1}
    if as_agent:
        payload["requester"] = requester.pk
    client.post(INCIDENTS, payload, format="json")  # a warm process: the configuration is in memory
    # 25, and issue 19's in-app notifications: the in-app opt-outs read and the notifications written
    # beside the e-mails, and the watchers read for their own event.
    with django_assert_max_num_queries(29):
        answer = client.post(INCIDENTS, payload, format="json")
    assert answer.status_code == 201, answer.content


def test_creating_from_the_portal_writes_in_few_statements(
    client, desk, requester, service, django_assert_max_num_queries
):
    client.force_login(requester)
    client.get("/portal/new/incident/")
    services.incident_create(actor=requester, title="Warm", service=service)  # configuration in memory
    # 28, and the in-app notifications and watchers (issue 19), as through the API.
    with django_assert_max_num_queries(31):
        answer = client.post(
            "/portal/new/incident/",
            {"title": "Printer", "description": "Jammed.", "service": service.pk, "urgency": 2},
        )
    assert answer.status_code == 302


def test_a_public_comment_then_resolve_through_the_api(record, agent, django_assert_max_num_queries):
    client = client_for(agent)
    # 18, one to read the record's watchers (told of a public comment) and two for the in-app
    # notifications (the in-app opt-outs, the rows written), issue 19.
    with django_assert_max_num_queries(21) as captured:
        answer = client.post(f"{INCIDENTS}{record.number}/comments/", {"body": "Done"}, format="json")
    assert answer.status_code == 201, answer.content
    locks = [q for q in captured.captured_queries if q["sql"].endswith("FOR UPDATE")]
    assert len(locks) == 1  # the If-Match check's lock serves the service too
    # 21, and the watchers read and the in-app notifications (opt-outs, rows) of the resolution (issue 19).
    with django_assert_max_num_queries(24):
        answer = client.post(
            f"{INCIDENTS}{record.number}/transitions/",
            {"to": "resolved", "resolution_code": "solved", "resolution_notes": "Fixed"},
            format="json",
        )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "resolved"


def test_a_public_comment_then_resolve_on_the_page(client, record, agent, django_assert_max_num_queries):
    client.force_login(agent)
    with django_assert_max_num_queries(PAGE_COMMENT):
        answer = client.post(
            f"/desk/records/{record.number}/comment/", {"body": "Done", "visibility": "public"}
        )
    assert answer.status_code == 302
    with django_assert_max_num_queries(PAGE_TRANSITION):
        answer = client.post(
            f"/desk/records/{record.number}/transition/",
            {
                "transition": "resolve",
                "resolve-resolution_code": "solved",
                "resolve-resolution_notes": "Fixed",
            },
        )
    assert answer.status_code == 302


def test_filing_writes_each_clock_and_its_first_segment_once(
    desk, requester, service, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        record = services.incident_create(actor=requester, title="Disk full", service=service)
    clock_writes = [
        q["sql"]
        for q in captured.captured_queries
        if '"servicedesk_slaclock"' in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    segment_writes = [q["sql"] for q in captured.captured_queries if '"servicedesk_slasegment"' in q["sql"]]
    assert len(clock_writes) == 1
    assert len(segment_writes) == 1
    clocks = SLAClock.objects.filter(object_id=record.pk)
    assert sorted(c.metric for c in clocks) == ["resolution", "response"]
    assert all(c.due_at and c.next_check_at for c in clocks)
    assert SLASegment.objects.filter(clock__in=clocks, kind="running", ended_at__isnull=True).count() == 2


def test_webhooks_for_every_subscription_take_one_insert_each_table(
    record, agent, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from servicedesk.models import WebhookDelivery

    webhook_subscription_create(
        actor=None, name="ERP", url="https://erp.example/hooks", events=["incident.commented"]
    )
    before = WebhookDelivery.objects.count()
    with CaptureQueriesContext(connection) as captured:
        services.incident_comment(record=record, actor=agent, body="Both hear this", is_public=True)
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len([sql for sql in inserts if '"servicedesk_webhookdelivery"' in sql]) == 1
    webhook_rows = [sql for sql in inserts if '"servicedesk_outboxmessage"' in sql and "'webhook'" in sql]
    assert len(webhook_rows) == 1
    assert WebhookDelivery.objects.count() == before + 2
