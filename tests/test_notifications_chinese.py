"""Issue 19 item 10: every e-mail a Chinese reader gets is in Chinese. Each registered notification event
(the kernel's, the approvals', and each process app's) is rendered for a Chinese recipient on a record of
its own app, with its details filled as its publishers fill them and once with none (each branch of its
templates), and its subject, text and HTML are searched for the catalogue's English sentences.
"""

import html
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from changes.services import change_create
from incidents.services.escalation import EscalationReason
from problems.services import problem_create
from releases.models import Wave
from releases.services.lifecycle import release_create
from servicedesk import roles
from servicedesk.models import ApprovalRequest, Metric
from servicedesk.notifications.registry import notification_events
from servicedesk.services.notifications import notify

from .chinese import EnglishFinder
from .factories import UserFactory
from .incidents.factories import IncidentFactory

EVENTS = notification_events()
ALL_ROLES = [
    roles.AGENT,
    roles.GROUP_MANAGER,
    roles.PROBLEM_MANAGER,
    roles.CHANGE_MANAGER,
    roles.RELEASE_MANAGER,
    roles.CAB_MEMBER,
]


@pytest.fixture(scope="module")
def english_finder():
    return EnglishFinder()


@pytest.fixture
def reader(db):
    """A Chinese agent who works every kind of record (and so may be told every agents' event)."""
    return UserFactory(username="liwei", full_name="李伟", language="zh-hans", roles=ALL_ROLES)


@pytest.fixture
def records(reader):
    """A record of each app whose events are registered, worked by the reader."""
    start = timezone.now() + timedelta(days=1)
    return {
        "servicedesk": IncidentFactory(title="VPN 断线", assignee=reader),
        "incidents": IncidentFactory(title="VPN 断线", assignee=reader),
        "problems": problem_create(actor=reader, title="VPN 断线", assignee=reader),
        "changes": change_create(
            actor=reader,
            title="修补数据库",
            assignee=reader,
            planned_start=start,
            planned_end=start + timedelta(hours=1),
        ),
        "releases": release_create(
            actor=reader,
            title="网店春季发布",
            release_version="2.0",
            assignee=reader,
            planned_start=start,
            planned_end=start + timedelta(hours=4),
        ),
    }


def details(event: str) -> dict:
    """The event's details as its publishers give them (lazy labels render in the reader's language)."""
    return {
        "reason": EscalationReason(75, Metric.RESOLUTION) if event == "escalated" else "",
        "target": Metric(Metric.RESOLUTION).label,
        "due_at": timezone.now(),
        "approval_url": "http://localhost:8000/approvals/link/token/",
        "approval_title": "审批",
        "outcome": ApprovalRequest.Status.APPROVED.label,
        "approved": True,
        "after_the_fact": True,
        "delegator": "王芳",
        "to": "portal",
        "incident": "INC0000001",
        "incidents": ["INC0000001", "INC0000002"],
        "resolved": True,
        "wave_name": "第一波",
        "wave_status": Wave.Status.RUNNING,
        "wave_status_label": "",
    }


@pytest.mark.parametrize("with_details", [True, False], ids=["details", "no-details"])
@pytest.mark.parametrize("event", EVENTS, ids=[event.code for event in EVENTS])
def test_every_e_mail_reaches_a_chinese_reader_without_english(
    reader, records, english_finder, event, with_details
):
    record = records[event.app]
    with transaction.atomic():
        [message] = notify(
            event=event.code,
            record=record,
            recipients=[reader],
            context={"data": details(event.code) if with_details else {}},
        )

    payload = message.payload
    subject = payload["subject"].removeprefix(f"[{record.number}] ")
    found = {
        "subject": english_finder.find(html.escape(subject)),
        "text": english_finder.find(html.escape(payload["text"])),
        "html": english_finder.find(payload["html"]),
    }
    assert not any(found.values()), found
    assert '<html lang="zh-hans">' in payload["html"]
