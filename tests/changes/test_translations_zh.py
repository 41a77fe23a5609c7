"""Change management in Simplified Chinese: the change's page, the CAB agenda and the forward schedule
read in Chinese for a user whose language is zh-hans (no English label left in their headings), and the
e-mails of a change come out in Chinese (the catalogue holds every string of the changes app)."""

import html
import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from servicedesk.records.services import record_lock
from servicedesk.records.transitions import record_transition, transition_fire_named

from ..incidents.test_notifications import Outbox
from .test_cab import to_cab

pytestmark = pytest.mark.django_db

AGENDA = "/desk/changes/agenda/"
SCHEDULE = "/desk/changes/schedule/"
LABELS = ("h[1-6]", "th", "dt", "legend", "label", "summary", "button")


@pytest.fixture
def chinese(change_manager, cab_members, requester, agent):
    for user in (change_manager, *cab_members, requester, agent):
        user.language = "zh-hans"
        user.save(update_fields=["language"])


def labels(page: str, *data: str) -> list[str]:
    """The text of the main part's headings, table headers, terms, legends, labels and buttons, with the
    record data in `data` (titles, numbers) taken out."""
    main = page.split("<main", 1)[1]
    found = []
    for tag in LABELS:
        for _name, inner in re.findall(rf"<({tag})\b[^>]*>(.*?)</\1>", main, re.S):
            text = html.unescape(re.sub(r"<[^>]+>", "", inner))
            for value in data:
                text = text.replace(value, "")
            found.append(text.strip())
    return [text for text in found if text]


def english(texts: list[str]) -> list[str]:
    """The labels with an English word left ("CAB" and "iCalendar" are the Chinese labels' own)."""
    return [t for t in texts if re.search(r"[A-Za-z]{2,}", t.replace("CAB", "").replace("iCalendar", ""))]


def test_the_change_page_reads_in_chinese(client, chinese, change, agent, change_manager, cab):
    change = to_cab(change, agent, change_manager, level="medium")
    client.force_login(change_manager)

    page = client.get(reverse("record", args=[change.number])).content.decode()

    for words in (
        "等待审批",
        "实施组",
        "变更经理",
        "计划时间",
        "评估",
        "风险：中",
        "回退计划",
        "冲突",
        "从 CAB 撤回",
    ):
        assert words in page, words
    texts = labels(page, change.title, change.number)
    assert "实施" in texts
    assert "风险" in texts
    assert english(texts) == []


def test_the_cab_agenda_reads_in_chinese(client, chinese, change, agent, change_manager, cab, cab_members):
    change = to_cab(change, agent, change_manager, level="medium")
    client.force_login(cab_members[0])

    page = client.get(AGENDA).content.decode()

    assert f'data-number="{change.number}"' in page
    for words in ("CAB 议程", "下次会议：", "待决定", "投票", "影响"):
        assert words in page, words
    texts = labels(page, change.title, change.number)
    assert "待决定" in texts
    assert english(texts) == []


def test_the_schedule_reads_in_chinese(client, chinese, change, agent):
    start = timezone.now() + timedelta(days=1)
    Change.objects.filter(pk=change.pk).update(
        status=wf.SCHEDULED, planned_start=start, planned_end=start + timedelta(hours=2)
    )
    client.force_login(agent)

    listed = client.get(SCHEDULE, {"view": "list"}).content.decode()
    month = client.get(SCHEDULE).content.decode()

    assert f'data-number="{change.number}"' in listed
    for words in ("变更日程", "今天", "上一页", "列表", "已排期", "在您的日历中", "冻结"):
        assert words in listed, words
    for header in ("变更", "开始", "结束", "状态", "风险", "支持组"):
        assert f'<th scope="col">{header}</th>' in listed, header
    assert "起点" not in listed  # the impact graph's "Start", not the schedule's
    for page in (listed, month):
        assert english(labels(page, change.title, change.number)) == []


@pytest.fixture
def outbox(db):
    return Outbox()


def _mail(outbox, event):
    return next(m.payload for m in outbox.messages() if m.event == f"notification.{event}")


def test_the_e_mails_of_a_change_come_out_in_chinese(
    chinese, monkeypatch, change, requester, change_manager, agent, outbox
):
    monkeypatch.setattr("changes.services.cab.cab_request_open", lambda **kw: None)
    monkeypatch.setattr("changes.conflicts.schedule_check", lambda firing: None)
    start = timezone.now() + timedelta(days=3)
    Change.objects.filter(pk=change.pk).update(
        requester=requester, planned_start=start, planned_end=start + timedelta(hours=2), risk_level="low"
    )
    change.refresh_from_db()

    record = record_transition(record=change, actor=requester, to=wf.SUBMITTED)
    submitted = _mail(outbox, "change_submitted")
    assert "待评估的变更：Patch the payroll database" in submitted["subject"]
    assert "请进行评估并提交 CAB" in submitted["text"]

    Change.objects.filter(pk=record.pk).update(status=wf.AWAITING_APPROVAL, assignee=change_manager)
    record.refresh_from_db()
    outbox.mark()
    with transaction.atomic():
        record = transition_fire_named(record=record_lock(record), actor=None, name="approve")
    decided = _mail(outbox, "change_decided")
    assert "已批准：Patch the payroll database" in decided["subject"]
    assert "已获批准：现在可以排期" in decided["text"]
    assert "</strong> 已获批准" in decided["html"]

    outbox.mark()
    record = record_transition(record=record, actor=change_manager, to=wf.SCHEDULED)
    scheduled = _mail(outbox, "change_scheduled")
    assert "已排期：Patch the payroll database" in scheduled["subject"]
    assert "已排期，时间为" in scheduled["text"]

    outbox.mark()
    record = record_transition(record=record, actor=agent, to=wf.IMPLEMENTING, maintenance=False)
    started = _mail(outbox, "change_implementation")
    assert "实施中：Patch the payroll database" in started["subject"]
    assert "已开始实施" in started["text"]
    for payload in (submitted, decided, scheduled, started):
        assert not re.search(r"\b(was|is|the|it)\b", payload["text"].replace(record.title, "")), payload[
            "text"
        ]
