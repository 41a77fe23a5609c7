"""A Chinese reader gets the e-mails of problem management in Chinese: subject, text and HTML, with the
status names translated too (the catalogue holds every string of templates/problems/notifications)."""

import pytest

from problems import workflow as wf
from problems.models import KnownError
from problems.services import known_error_publish, problem_create, workaround_apply
from servicedesk.records.transitions import record_transition

from ..incidents.test_notifications import Outbox


@pytest.fixture
def outbox(db):
    return Outbox()


@pytest.fixture
def chinese(problem_manager, group_manager, requester, agent):
    for user in (problem_manager, group_manager, requester, agent):
        user.language = "zh-hans"
        user.save(update_fields=["language"])


def _mail(outbox, event):
    return next(m.payload for m in outbox.messages() if m.event == f"notification.{event}")


def test_every_problem_e_mail_comes_out_in_chinese(chinese, problem_manager, agent, service, incident,
                                                   outbox):  # fmt: skip
    record = problem_create(
        actor=agent, title="VPN drops", service=service, assignee=problem_manager, incidents=[incident]
    )
    created = _mail(outbox, "problem_created")
    assert "新问题：VPN drops" in created["subject"]
    assert "请查明其根本原因" in created["text"]
    assert "已关联 1 个事件" in created["html"]

    record = record_transition(record=record, actor=agent, to=wf.INVESTIGATING)
    moved = _mail(outbox, "problem_status_changed")
    assert f"将 {record.number} 的状态改为“调查中”" in moved["text"]
    assert "调查中" in moved["subject"]

    record = record_transition(record=record, actor=agent, to=wf.KNOWN_ERROR, root_cause="Idle timer",
                               workaround="Reconnect.")  # fmt: skip
    entry = known_error_publish(actor=problem_manager, problem=record, status=KnownError.Status.AGENTS)
    outbox.mark()
    workaround_apply(actor=agent, incident=incident, known_error=entry, resolve=False)
    applied = _mail(outbox, "workaround_applied")
    assert "临时方案已应用：VPN drops" in applied["subject"]
    assert f"的临时方案已应用于 {incident.number}" in applied["text"]

    outbox.mark()
    record_transition(record=record, actor=agent, to=wf.RESOLVED, fix="Gateway patched")
    fixed = _mail(outbox, "problem_fixed")
    assert "原因已修复" in fixed["subject"]
    assert f"您的事件 {incident.number} 的原因已查明并修复" in fixed["text"]
    assert "您的事件 <strong>" in fixed["html"]
    for payload in (created, moved, applied, fixed):
        assert "was raised" not in payload["text"]
        assert "was applied" not in payload["text"]


def test_the_published_known_error_e_mail_comes_out_in_chinese(chinese, problem_manager, agent, service,
                                                              outbox):  # fmt: skip
    record = problem_create(actor=problem_manager, title="VPN drops", service=service, assignee=agent)
    record = record_transition(
        record=record, actor=problem_manager, to=wf.KNOWN_ERROR, root_cause="Idle timer", no_workaround=True
    )
    outbox.mark()

    known_error_publish(actor=problem_manager, problem=record, status=KnownError.Status.AGENTS)

    published = _mail(outbox, "known_error_published")
    assert "已知错误已发布：VPN drops" in published["subject"]
    assert "的已知错误已向坐席发布" in published["text"]
    assert "的已知错误已向坐席发布" in published["html"]
    assert "由 Pat Problem 发布。" in published["text"]
