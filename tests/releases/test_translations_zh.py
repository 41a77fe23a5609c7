"""Release management in Simplified Chinese: the release list, the form that raises one, the release's page
with its software library, waves and rollback, the deployment board and a wave's tasks read in Chinese for a
user whose language is zh-hans (no English label left in their headings); the release's e-mails and the API's
refusals come out in Chinese."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from releases import workflow as wf
from releases.models import Release, Wave
from releases.services.deployment import tasks_report
from servicedesk.approvals.services import approval_decide
from servicedesk.models import ApprovalRequest, TimelineEntry
from servicedesk.records.transitions import record_transition

from ..incidents.test_notifications import Outbox
from .conftest import stored_artifact
from .test_rollback import deployed_in_waves

pytestmark = pytest.mark.django_db

LABELS = ("h[1-6]", "th", "dt", "legend", "label", "summary", "button")
# What stays in Latin letters in the Chinese labels: the record's data is taken out by `labels`, and these
# are the labels' own (names of standards and formats, and the DSL's abbreviation).
OWN_WORDS = ("SHA-256", "URI", "DSL", "CMDB", "CAB", "JSON", "Markdown")


@pytest.fixture
def chinese(release_manager, test_lead, service_owner, agent, group_manager, requester):
    for user in (release_manager, test_lead, service_owner, agent, group_manager, requester):
        user.language = "zh-hans"
        user.save(update_fields=["language"])


def labels(page: str, *data: str) -> list[str]:
    """The text of the main part's headings, table headers, terms, legends, labels and buttons, with the
    record data in `data` (titles, numbers, names) taken out."""
    main = page.split("<main", 1)[1]
    found = []
    for tag in LABELS:
        for _name, inner in re.findall(rf"<({tag})\b[^>]*>(.*?)</\1>", main, re.S):
            text = html.unescape(re.sub(r"<[^>]+>", "", inner))
            for value in sorted(data, key=len, reverse=True):
                text = text.replace(value, "")
            found.append(text.strip())
    return [text for text in found if text]


def english(texts: list[str]) -> list[str]:
    """The labels with an English word left."""
    left = []
    for text in texts:
        for word in OWN_WORDS:
            text = text.replace(word, "")
        if re.search(r"[A-Za-z]{2,}", text):
            left.append(text)
    return left


def data_of(release, app_servers, *more: str) -> tuple[str, ...]:
    waves = Wave.objects.filter(release=release).values_list("name", flat=True)
    return (
        release.title, release.number, release.release_version, *waves, *(ci.name for ci in app_servers),
        "Service Desk", "Web shop", *more,
    )  # fmt: skip


def test_the_release_list_and_the_new_release_form_read_in_chinese(
    client, chinese, release, release_manager, app_servers
):
    client.force_login(release_manager)

    listed = client.get(reverse("releases:list")).content.decode()
    new = client.get(reverse("releases:new")).content.decode()

    assert release.number in listed
    for words in ("发布", "新建发布", "筛选发布", "变更日程", "规划中", "构建组", "发布经理"):
        assert words in listed, words
    for words in (
        "新建发布",
        "目标服务",
        "目标配置项",
        "测试负责人",
        "构建组",
        "创建发布",
        "时间按您的时区显示。",
    ):
        assert words in new, words
    assert english(labels(listed, *data_of(release, app_servers))) == []
    assert english(labels(new)) == []


def test_the_release_page_with_its_library_waves_and_rollback_reads_in_chinese(
    client, chinese, release, release_manager, app_servers
):
    stored_artifact(release)
    deployed_in_waves(release, app_servers)
    client.force_login(release_manager)

    page = client.get(reverse("record", args=[release.number])).content.decode()

    for words in (
        "失败",  # its status
        "最终软件库（DSL）",
        "核对校验和",
        "软件包",
        "用途",
        "大小",
        "部署",
        "时间窗口",
        "启动方式",
        "手动：由发布经理启动",
        "已成功",
        "回滚",
        "所选批次的配置项将恢复为上线决策时所创建基线中的版本和属性",
        "要回滚的批次",
        "回滚原因",
        "上线决策检查清单",
        "目标配置项",
        "它实施的变更",
    ):
        assert words in page, words
    texts = labels(
        page, *data_of(release, app_servers, "webshop", "Upgrade the checkout", "Fix the basket rounding")
    )
    assert "部署" in texts
    assert "回滚" in texts
    assert english(texts) == []


def test_the_deployment_board_and_a_wave_s_tasks_read_in_chinese(
    client, chinese, prepared, release_manager, agent, app_servers
):
    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    record_transition(record=Release.objects.get(pk=prepared.pk), actor=release_manager, to=wf.DEPLOYING)
    wave = Wave.objects.get(release=prepared, position=1)
    tasks_report(
        release=Release.objects.get(pk=prepared.pk), wave=wave, actor=agent,
        results=[{"ci": app_servers[0].pk, "status": "failed", "log": "disk full on /var"}],
    )  # fmt: skip
    client.force_login(release_manager)

    board = client.get(reverse("release_deployments:page", args=[prepared.number])).content.decode()
    tasks = client.get(reverse("release_deployments:tasks", args=[prepared.number, wave.pk])).content.decode()

    for words in (
        "部署",
        "运行中",
        "共 2 个：0 个成功，1 个失败，1 个待执行",
        "失败的任务",
        "任务",
        "启动方式",
    ):
        assert words in board, words
    for words in ("批次“Wave 1”的任务", "流水线引用", "上次报告时间", "日志", "失败"):
        assert words in tasks, words
    data = data_of(prepared, app_servers, "disk full on /var")
    assert english(labels(board, *data)) == []
    assert english(labels(tasks, *data)) == []


@pytest.fixture
def outbox(db):
    return Outbox()


def _mail(outbox, event: str, recipient: str) -> dict:
    return next(
        m.payload
        for m in outbox.messages()
        if m.event == f"notification.{event}" and m.recipient == recipient
    )


def test_the_e_mails_of_a_release_come_out_in_chinese(
    chinese, prepared, release_manager, test_lead, service_owner, agent, group_manager, app_servers, outbox
):
    to = group_manager.email  # of the build group, and never the one who acts (who is not told)
    record_transition(record=prepared, actor=release_manager, to=wf.GO_NO_GO)
    approval = ApprovalRequest.objects.get(object_id=prepared.pk, status="pending")
    outbox.mark()
    for person in (release_manager, test_lead, service_owner):
        approval_decide(
            approval=ApprovalRequest.objects.get(pk=approval.pk), actor=person, decision="approve"
        )
    decided = _mail(outbox, "release_decided", to)
    assert "已批准：Web shop spring release" in decided["subject"]
    assert f"{prepared.number}（2.0）已在上线决策中获批：现在可以部署。" in decided["text"]
    assert "</strong>（2.0）已在上线决策中获批" in decided["html"]

    outbox.mark()
    record = record_transition(
        record=Release.objects.get(pk=prepared.pk), actor=release_manager, to=wf.DEPLOYING
    )
    mails = [m.payload for m in outbox.messages() if m.recipient == to]
    started = next(m for m in mails if "已开始部署" in m["text"])
    assert "部署中：Web shop spring release" in started["subject"]
    wave_started = next(m for m in mails if "批次“Wave 1”已开始" in m["text"])
    assert f"{record.number}（2.0）的批次“Wave 1”已开始。" in wave_started["text"]

    outbox.mark()
    wave = Wave.objects.get(release=prepared, position=1)
    tasks_report(
        release=Release.objects.get(pk=prepared.pk), wave=wave, actor=agent,
        results=[{"ci": ci.pk, "status": "failed", "log": "boom"} for ci in app_servers[:2]],
    )  # fmt: skip
    mails = [m.payload for m in outbox.messages() if m.recipient == to]
    finished = next(m for m in mails if "已结束" in m["text"])
    assert "的批次“Wave 1”已结束：失败。" in finished["text"]
    failed = next(m for m in mails if "部署失败" in m["text"])
    assert f"{record.number}（2.0）部署失败。" in failed["text"]
    # The reason is data: the system's own ("Wave … failed: …") is written in the language of whoever acted.
    reason = Release.objects.get(pk=prepared.pk).failure_reason
    assert reason in failed["text"]
    for payload in (decided, started, wave_started, finished, failed):
        text = payload["text"].replace(reason, "").replace(record.title, "").replace("“Wave 1”", "")
        assert not re.search(r"\b(was|is|the|of|has|Wave|started|finished|failed|deployed)\b", text), text


def test_a_wave_s_status_reads_in_the_reader_s_language_whoever_published_it(
    client, chinese, prepared, release_manager, agent, group_manager, app_servers, outbox
):
    """The wave's events carry its status label in the language of whoever acted (English here, as for a
    pipeline's report): the e-mail and the timeline name the status in their reader's language."""
    Release.objects.filter(pk=prepared.pk).update(status=wf.APPROVED)
    record_transition(record=Release.objects.get(pk=prepared.pk), actor=release_manager, to=wf.DEPLOYING)
    outbox.mark()
    with translation.override("en"):
        tasks_report(
            release=Release.objects.get(pk=prepared.pk), wave=Wave.objects.get(release=prepared, position=1),
            actor=agent, results=[{"ci": ci.pk, "status": "failed", "log": "boom"} for ci in app_servers[:2]],
        )  # fmt: skip
    entry = TimelineEntry.objects.filter(object_id=prepared.pk, data__event="wave_finished").get()
    assert entry.data["wave_status_label"] == "Failed"
    client.force_login(release_manager)

    mail = _mail(outbox, "release_deployment", group_manager.email)
    page = client.get(reverse("record", args=[prepared.number])).content.decode()

    assert f"{prepared.number}（2.0）的批次“Wave 1”已结束：失败。" in mail["text"]
    assert "的批次“Wave 1”已结束：失败。" in mail["html"]
    assert "批次“Wave 1”已结束：失败。" in page
    assert "Failed" not in page.split("<main", 1)[1]


def test_the_api_s_refusals_come_out_in_chinese(
    api_client, chinese, release, release_manager, test_lead, app_servers
):
    deployed_in_waves(release, app_servers, status=wf.TESTING)
    api = f"/api/v1/releases/{release.number}"

    api_client.force_login(test_lead)
    refused = api_client.post(f"{api}/rollback/", {"reason": "Let me."}, format="json")
    assert refused.status_code == 403
    assert refused.json()["message"] == "您无权回滚此发布。"

    api_client.force_login(release_manager)
    illegal = api_client.post(f"{api}/rollback/", {"reason": "Broken."}, format="json")
    assert illegal.status_code == 409
    assert (
        illegal.json()["message"]
        == f"发布只能在部署中、已部署或失败时回滚；{release.number} 的状态为“测试中”。"
    )

    invalid = api_client.post(f"{api}/rollback/", {"reason": ""}, format="json")
    assert invalid.status_code == 400
    assert invalid.json()["message"] == "部分字段无效。"
    assert invalid.json()["fields"] == {"reason": ["此字段不能为空。"]}

    both = {"name": "X", "cis": [app_servers[0].pk], "environment": "production"}
    planned = api_client.post(f"{api}/deployments/", both, format="json")
    assert planned.status_code == 400
    assert planned.json()["fields"] == {"cis": ["请指定配置项或环境，不能同时指定。"]}
