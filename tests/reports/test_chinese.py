"""Management information in Simplified Chinese (issue 18, item 7): a group manager whose language is zh-hans
and whose time zone is Asia/Shanghai reads a report and her dashboard with the measures' Chinese labels,
the period and the rows' days in the Chinese date format of her own time zone, durations in Chinese words,
and no English label left in the headings, table headers, labels and buttons."""

import html
import re

import pytest
import time_machine

from .conftest import at, refresh

pytestmark = pytest.mark.django_db

# 12:00 in Shanghai on Tuesday 10 March 2026.
NOW = at(2026, 3, 10, 4)
LABELS = ("h[1-6]", "th", "dt", "legend", "label", "summary", "button", "caption")
# What stays Latin in the Chinese pages: the record data (the group's name), the measure's abbreviations and
# the export formats' names.
LATIN = ("First line", "MTTR", "MTTA", "CSAT", "SLA", "CSV", "XLSX", "Excel", "PDF")


@pytest.fixture
def wang(group_manager):
    """The group manager (of "First line") reading in Chinese, in Shanghai."""
    group_manager.language = "zh-hans"
    group_manager.time_zone = "Asia/Shanghai"
    group_manager.save(update_fields=["language", "time_zone"])
    return group_manager


@pytest.fixture
def records(desk):
    """Two incidents of her group, both filed on 10 March in Shanghai: one at 20:00 UTC on 9 March (04:00 on
    the 10th in Shanghai), one at 01:00 UTC; the second resolved 2 h 10 min later."""
    late = desk.file(at(2026, 3, 9, 20))
    early = desk.file(at(2026, 3, 10, 1))
    desk.resolve(at(2026, 3, 10, 3, 10), early)
    refresh(late, early)
    return late, early


def labels(page: str) -> list[str]:
    """The text of the main part's headings, table headers, terms, legends, labels, buttons and captions."""
    main = page.split("<main", 1)[1]
    found = []
    for tag in LABELS:
        for _name, inner in re.findall(rf"<({tag})\b[^>]*>(.*?)</\1>", main, re.S):
            text = html.unescape(re.sub(r"<[^>]+>", "", inner)).strip()
            if text:
                found.append(text)
    return found


def english(texts: list[str]) -> list[str]:
    def latin_left(text):
        for word in LATIN:
            text = text.replace(word, "")
        return re.search(r"[A-Za-z]{2,}", text)

    return [text for text in texts if latin_left(text)]


def table(page: str) -> dict[str, dict[str, str]]:
    """The report table as {row label: {column key: the cell's text}}."""
    body = page[page.index('data-testid="report-table"') :]
    body = body[: body.index("</table>")]
    rows = {}
    for row in re.findall(r'<tr data-testid="report-row">(.*?)</tr>', body, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1).strip()
        cells = re.findall(r'<td class="text-end" data-column="(\w+)">(.*?)</td>', row, re.S)
        rows[label] = {key: html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for key, text in cells}
    return rows


def test_a_report_reads_in_chinese_with_days_in_her_time_zone(
    client, wang, records, django_assert_max_num_queries
):
    client.force_login(wang)
    query = {"period": "custom", "start": "2026-03-09", "end": "2026-03-10", "by": "period", "bucket": "day"}

    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(30):
        response = client.get("/reports/measures/volumes/", query)
    page = response.content.decode()

    assert response.status_code == 200
    assert re.search(r"<h1[^>]*>记录量</h1>", page)
    assert '<th scope="col" class="text-end">新建</th>' in page
    assert '<th scope="col" class="text-end">已解决</th>' in page
    assert "2026年3月9日 至 2026年3月10日（Asia/Shanghai）" in page
    # Both were filed on 10 March in Shanghai (the late one was still 9 March in UTC).
    assert table(page) == {
        "2026年3月9日": {"opened": "0", "resolved": "0"},
        "2026年3月10日": {"opened": "2", "resolved": "1"},
    }
    assert english(labels(page)) == []


def test_durations_read_in_chinese_words(client, wang, records):
    client.force_login(wang)
    query = {"period": "custom", "start": "2026-03-10", "end": "2026-03-10", "by": "period", "bucket": "day"}

    with time_machine.travel(NOW, tick=False):
        response = client.get("/reports/measures/mttr/", query)
    page = response.content.decode()

    assert re.search(r"<h1[^>]*>解决时长（MTTR）</h1>", page)
    (row,) = table(page).values()
    # The count column ("figures" context) and the drill-down link into the queue.
    assert '<th scope="col" class="text-end">记录数</th>' in page
    assert re.search(r'data-testid="drill">记录<span', page)
    # One record, resolved 2 h 10 min after it was filed; no SLA policy, so no business time.
    assert row["count"] == "1"
    assert row["p50_wall"] == row["mean_wall"] == "2 小时 10 分钟"
    assert row["p50_business"] == "无"
    assert english(labels(page)) == []


def test_her_dashboard_reads_in_chinese(client, wang, records, django_assert_max_num_queries):
    client.force_login(wang)

    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(30):
        response = client.get("/reports/dashboards/manager/")
    page = response.content.decode()

    assert response.status_code == 200
    assert re.search(r"<h1[^>]*>仪表板</h1>", page)
    titles = dict(re.findall(r'<h2 class="h6 card-title" id="tile-(\w+)-title">(.*?)</h2>', page))
    assert titles["backlog"] == "当前未关闭"
    assert titles["sla"] == "本月解决 SLA 达成率"
    assert titles["trend"] == "新建与解决（最近 30 天）"
    at_risk = page[page.index('data-testid="tile-at_risk"') : page.index('data-testid="tile-sla"')]
    headers = re.findall(r'<th scope="col" class="text-end">(.*?)</th>', at_risk)
    # The column counts open records ("figures" context), not the status filter's 进行中.
    assert headers == ["已违约", "1 小时内到期", "4 小时内到期", "未关闭"]
    tiles = {tile.key: tile.value for tile in response.context["tiles"]}
    # One of her two records is still open; both were filed in the last 30 days.
    assert (tiles["backlog"], tiles["trend"]) == (1, 2)
    # The time of the figures in her time zone (12:00 in Shanghai), in the Chinese sentence.
    assert "数据截至 12:00；每 60 秒刷新一次。" in page
    assert english(labels(page)) == []
