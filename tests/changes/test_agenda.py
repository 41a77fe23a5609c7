"""The CAB agenda page, deciding from it, and the assessment panel with its questionnaire."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from changes import conflicts
from changes import workflow as wf
from changes.agenda import cab_meetings
from changes.models import Change, RiskQuestion
from changes.services import change_create
from servicedesk.models import ApprovalRequest, TimelineEntry

from .test_cab import pending, to_cab

pytestmark = pytest.mark.django_db
AGENDA = "/desk/changes/agenda/"


@pytest.fixture(autouse=True)
def fake_conflicts(monkeypatch):
    """Helper A's conflict detection, stood in for: one overlap on every change awaiting approval."""

    def conflicts_many(changes):
        return {
            c.pk: [SimpleNamespace(kind="overlap", message=f"{c.number} overlaps CHG9999999.")]
            for c in changes
            if c.status == wf.AWAITING_APPROVAL
        }

    monkeypatch.setattr(conflicts, "conflicts_many", conflicts_many, raising=False)


@override_settings(
    ITSM_CAB_MEETING_WEEKDAY=1, ITSM_CAB_MEETING_TIME="10:00", ITSM_CAB_MEETING_TIME_ZONE="Europe/Paris"
)
def test_the_next_meeting_is_the_first_not_over_in_the_meetings_time_zone():
    monday = datetime(2026, 3, 23, 12, 0, tzinfo=UTC)
    meeting, following = cab_meetings(monday)
    assert meeting == datetime(2026, 3, 24, 9, 0, tzinfo=UTC)  # 10:00 in Paris, winter time
    assert following == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)  # 10:00 in Paris, summer time
    during = datetime(2026, 3, 24, 9, 30, tzinfo=UTC)
    assert cab_meetings(during)[0] == meeting  # still on until it ends
    after = datetime(2026, 3, 24, 10, 1, tzinfo=UTC)
    assert cab_meetings(after)[0] == following


def test_the_agenda_lists_what_awaits_approval_with_risk_impact_conflicts_and_votes(
    client, change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager, level="medium")
    client.force_login(cab_members[0])
    page = client.get(AGENDA)
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-number="{change.number}"' in html
    assert 'data-risk="medium"' in html
    assert "Payroll" in html
    assert "owner Olga Owner" in html
    assert f"{change.number} overlaps CHG9999999." in html
    assert 'data-testid="agenda-approve"' in html


def test_the_agenda_shows_no_buttons_to_who_may_not_decide(client, change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager, level="medium")
    client.force_login(agent)
    html = client.get(AGENDA).content.decode()
    assert f'data-number="{change.number}"' in html
    assert 'data-testid="agenda-approve"' not in html


def test_the_agenda_lists_changes_planned_before_the_following_meeting(client, agent, change_manager, cab):
    start = timezone.now() + timedelta(days=1)
    soon = change_create(
        actor=agent, title="Soon", planned_start=start, planned_end=start + timedelta(hours=1)
    )
    late = change_create(
        actor=agent,
        title="Late",
        planned_start=start + timedelta(days=30),
        planned_end=start + timedelta(days=31),
    )
    Change.objects.filter(pk__in=[soon.pk, late.pk]).update(status=wf.SCHEDULED)
    client.force_login(change_manager)
    html = client.get(AGENDA).content.decode()
    assert f'data-number="{soon.number}"' in html
    assert f'data-number="{late.number}"' not in html


def test_the_agenda_reads_a_constant_number_of_queries(
    client, agent, change_manager, cab, cab_members, service, server, plans, django_assert_max_num_queries
):
    client.force_login(cab_members[0])
    for n in range(5):
        record = change_create(
            actor=agent, title=f"Change {n}", services=[service], affected_cis=[server], **plans
        )
        to_cab(record, agent, change_manager, level="medium")
    with django_assert_max_num_queries(30) as five:
        assert client.get(AGENDA).content.decode().count('data-testid="agenda-item"') == 5
    for n in range(5):
        record = change_create(
            actor=agent, title=f"More {n}", services=[service], affected_cis=[server], **plans
        )
        to_cab(record, agent, change_manager, level="medium")
    with django_assert_max_num_queries(len(five.captured_queries)):
        assert client.get(AGENDA).content.decode().count('data-testid="agenda-item"') == 10


def test_a_cab_member_decides_from_the_agenda_with_a_comment(
    client, change, agent, change_manager, cab, cab_members, service_owner
):
    change = to_cab(change, agent, change_manager)  # low: any one, the change manager
    approval = pending(change)
    client.force_login(change_manager)
    answer = client.post(
        reverse("changes:agenda_decide", args=[approval.pk]), {"decision": "approve", "comment": "Go."}
    )
    assert answer.status_code == 302
    change.refresh_from_db()
    assert change.status == wf.APPROVED
    entry = TimelineEntry.objects.get(object_id=change.pk, data__event="approval_decided")
    assert (entry.author, entry.body) == (change_manager, "Go.")


def test_rejecting_from_the_agenda_needs_a_comment(client, change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager)
    approval = pending(change)
    client.force_login(change_manager)
    answer = client.post(reverse("changes:agenda_decide", args=[approval.pk]), {"decision": "reject"})
    assert answer.status_code == 400
    assert "Say why you reject it." in answer.content.decode()
    assert pending(change).pk == approval.pk


def test_who_is_not_asked_may_not_decide_from_the_agenda(
    client, change, agent, change_manager, cab, cab_members
):
    change = to_cab(change, agent, change_manager)  # only the change manager approves
    approval = pending(change)
    client.force_login(cab_members[0])
    answer = client.post(reverse("changes:agenda_decide", args=[approval.pk]), {"decision": "approve"})
    assert answer.status_code == 404
    assert ApprovalRequest.objects.get(pk=approval.pk).status == "pending"


def test_requesters_never_see_the_agenda(client, requester):
    client.force_login(requester)
    assert client.get(AGENDA).status_code == 404


def test_the_email_link_leads_a_cab_member_to_the_decision(
    client, change, agent, change_manager, cab, cab_members
):
    from servicedesk.approvals.links import approval_link_token

    change = to_cab(change, agent, change_manager, level="medium")
    approval = pending(change)
    client.force_login(cab_members[1])
    token = approval_link_token(approval_id=approval.pk, user_id=cab_members[1].pk)
    followed = client.get(reverse("approval_link", args=[token]))
    assert followed.status_code == 302
    answer = client.post(followed["Location"], {"decision": "reject", "comment": "Wrong week."})
    assert answer.status_code == 302
    entry = TimelineEntry.objects.get(object_id=change.pk, data__event="approval_decided")
    assert (entry.author, entry.body, entry.data["decision"]) == (cab_members[1], "Wrong week.", "reject")


# The assessment panel ----------------------------------------------------------------------------------


def _submitted(change, agent):
    from servicedesk.records.transitions import record_transition

    return record_transition(record=change, actor=agent, to=wf.SUBMITTED)


def test_the_assessment_page_shows_the_impact_and_the_questionnaire_to_managers(
    client, change, agent, change_manager
):
    change = _submitted(change, agent)
    client.force_login(change_manager)
    html = client.get(reverse("changes:assess", args=[change.number])).content.decode()
    assert 'data-testid="impact-service"' in html
    assert "owner Olga Owner" in html
    assert 'data-testid="assess-form"' in html
    client.force_login(agent)
    html = client.get(reverse("changes:assess", args=[change.number])).content.decode()
    assert 'data-testid="assess-form"' not in html


def test_assessing_from_the_form(client, change, agent, change_manager):
    change = _submitted(change, agent)
    questions = list(RiskQuestion.objects.filter(is_active=True))
    data = {f"q{q.pk}": "yes" for q in questions} | {"version": change.version}
    client.force_login(change_manager)
    answer = client.post(reverse("changes:assess", args=[change.number]), data)
    assert answer.status_code == 302
    change.refresh_from_db()
    assert change.risk_score == 100
    assert change.risk_level == "high"  # every yes, one service


def test_an_incomplete_questionnaire_is_400_and_a_stale_one_412(client, change, agent, change_manager):
    change = _submitted(change, agent)
    url = reverse("changes:assess", args=[change.number])
    client.force_login(change_manager)
    assert client.post(url, {"version": change.version}).status_code == 400
    data = {f"q{q.pk}": "no" for q in RiskQuestion.objects.filter(is_active=True)}
    assert client.post(url, {**data, "version": change.version - 1}).status_code == 412
    change.refresh_from_db()
    assert change.risk_level == ""


def test_agents_may_not_assess(client, change, agent):
    change = _submitted(change, agent)
    data = {f"q{q.pk}": "no" for q in RiskQuestion.objects.filter(is_active=True)}
    client.force_login(agent)
    assert client.post(reverse("changes:assess", args=[change.number]), data).status_code == 403
