"""Management information from end to end, in a real browser, on the demo (issue 18's acceptance journey).

carol, the demo's Service Desk manager, signs in and opens Reports from the navigation: her groups'
dashboard shows the figures this test works out itself from the incidents and their SLA clocks (never
from the reporting tables). She opens SLA compliance for last month by support group, sees the chart and
the table, drills into her group's breached records and lands on the queue listing exactly those, exports
the report as CSV and as XLSX (the files hold the table's figures) and saves it. bob, an agent, cannot open
her saved report nor her groups' dashboard; alice, a requester, reads no reports at all.

The demo always has breached Service Desk records resolved last month, whatever the day it is seeded
(incidents.demo.stories.last_month_stories).
"""

import csv
import io
import re
import statistics
from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cmdb.models import ConfigurationItem
from incidents import workflow as wf
from incidents.models import Incident
from reports.models import SavedReport
from servicedesk.management.commands.seed_demo import DEMO_PASSWORD
from servicedesk.models import SLAClock, SupportGroup, User

ZONE = "Europe/London"  # carol's time zone: periods are her local days
CHARTS_SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "charts.js"
REPORT_NAME = "Service Desk SLA, last month"


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/(login/)?(\?.*)?$"))


# Direct computations from the incidents table ------------------------------------------------------


def local_midnight(day) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(ZONE))


def first_of_month(day, months_back: int = 0):
    index = day.year * 12 + day.month - 1 - months_back
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


class Desk:
    """The incidents (merged duplicates left out: they are counted in the record they were merged into)
    with their SLA clocks, read once: what the tests counts by hand."""

    def __init__(self):
        self.now = timezone.now()
        self.today = self.now.astimezone(ZoneInfo(ZONE)).date()
        self.records = list(Incident.objects.filter(merged_into__isnull=True).order_by("pk"))
        self.clocks = {}
        content_type = ContentType.objects.get_for_model(Incident)
        for clock in SLAClock.objects.filter(content_type=content_type):
            self.clocks.setdefault(clock.object_id, {})[clock.metric] = clock

    def clock(self, record, metric):
        return self.clocks.get(record.pk, {}).get(metric)

    def outcome(self, record, metric) -> str:
        """ "met", "breached" or "" (no clock, still counting, or cancelled before its target)."""
        clock = self.clock(record, metric)
        if clock is None:
            return ""
        if clock.breached_at is not None or clock.state == SLAClock.State.BREACHED:
            return "breached"
        return "met" if clock.state == SLAClock.State.MET else ""

    @staticmethod
    def is_open(record) -> bool:
        return record.status in wf.OPEN_STATUSES

    @staticmethod
    def resolved_within(records, start, end):
        """The records resolved in [start, end) (and not reopened since): what SLA compliance counts."""
        return [r for r in records if r.resolved_at is not None and start <= r.resolved_at < end]

    def sla_row(self, records) -> dict:
        """The SLA compliance figures of `records` (those resolved in the period)."""
        row = {}
        for metric in ("response", "resolution"):
            outcomes = [self.outcome(r, metric) for r in records]
            met, breached = outcomes.count("met"), outcomes.count("breached")
            row[f"{metric}_percent"] = round(100.0 * met / (met + breached), 1) if met + breached else None
            row[f"{metric}_breached"] = breached
        row["breached"] = row["response_breached"] + row["resolution_breached"]
        return row


def shown(value, type="count") -> str:
    """A figure as the report pages show it (British English), spaces for no-break spaces."""
    if value is None:
        return "none"
    if type == "percent":
        return f"{value:.1f} %"
    if type == "rating":
        return f"{value:.2f} / 5"
    return f"{value:,}"


def dashboard_figures(desk: Desk, groups: set[int]) -> dict[str, str]:
    """The manager's tiles over the records now in `groups`, worked out from the incidents and clocks."""
    mine = [r for r in desk.records if r.support_group_id in groups]
    now = desk.now
    open_now = [r for r in mine if desk.is_open(r)]

    def due(record):
        running = [
            c.due_at
            for c in desk.clocks.get(record.pk, {}).values()
            if c.state in (SLAClock.State.RUNNING, SLAClock.State.PAUSED) and c.due_at is not None
        ]
        return min(running, default=None)

    breached = [
        r
        for r in open_now
        if (due(r) is not None and due(r) <= now)
        or "breached" in (desk.outcome(r, "response"), desk.outcome(r, "resolution"))
    ]
    soon = [r for r in open_now if due(r) is not None and now < due(r) <= now + timedelta(hours=4)]

    month = desk.resolved_within(mine, local_midnight(first_of_month(desk.today)), now + timedelta(days=40))
    thirty_days = local_midnight(desk.today - timedelta(days=29))
    ratings = [r.csat_score for r in mine if r.rated_at is not None and r.rated_at >= thirty_days]
    opened = [r for r in mine if r.created_at >= thirty_days]
    return {
        "backlog": shown(len(open_now)),
        "at_risk": shown(len(breached) + len(soon)),
        "sla": shown(desk.sla_row(month)["resolution_percent"], "percent"),
        "csat": shown(round(statistics.mean(ratings), 2) if ratings else None, "rating"),
        "trend": shown(len(opened)),
    }


def tile_value(page, key: str) -> str:
    return page.get_by_test_id(f"tile-{key}").get_by_test_id("tile-value").inner_text().replace("\xa0", " ")


def cell(row, column: str) -> str:
    return row.locator(f'td[data-column="{column}"]').inner_text().replace("\xa0", " ")


# The journey ---------------------------------------------------------------------------------------


def test_carol_reads_her_groups_figures_drills_into_last_months_breaches_and_exports_them(
    log_in, live_server, browser_log, settings
):
    settings.ITSM_DEMO_RECORDS = 20  # the random history: enough to look real, quick to seed
    call_command("seed_demo", stdout=StringIO())
    people = {u.username: u for u in User.objects.filter(username__in=["carol", "bob", "alice"])}
    service_desk = SupportGroup.objects.get(name="Service Desk")
    assert service_desk.manager == people["carol"]
    desk = Desk()

    # carol signs in and opens Reports from the navigation: her groups' dashboard.
    page = log_in(people["carol"], DEMO_PASSWORD)
    page.get_by_test_id("nav-reports").click()
    page.wait_for_url(f"{live_server.url}/reports/dashboards/manager/")
    expect(page.get_by_test_id("board-manager")).to_have_attribute("aria-current", "page")
    for key, figure in dashboard_figures(desk, {service_desk.pk}).items():
        assert tile_value(page, key) == figure, key

    # ... opens SLA compliance for last month, by support group: the chart and the table.
    page.goto(f"{live_server.url}/reports/measures/sla_compliance/?period=last_month&by=group")
    expect(page.get_by_role("heading", level=1)).to_have_text("SLA compliance")
    start = local_midnight(first_of_month(desk.today, 1))
    end = local_midnight(first_of_month(desk.today))
    # Her scope: the groups she manages, the services she owns, and her own work.
    own_services = set(
        ConfigurationItem.objects.filter(
            owner=people["carol"], ci_class__path__startswith="/business_service/"
        ).values_list("pk", flat=True)
    )
    in_scope = [
        r
        for r in desk.records
        if r.support_group_id == service_desk.pk
        or r.service_id in own_services
        or r.assignee_id == people["carol"].pk
    ]
    resolved = desk.resolved_within(in_scope, start, end)
    expected_groups = sorted({r.support_group.name for r in resolved if r.support_group_id}, key=str.lower)
    rows = page.get_by_test_id("report-row")
    expect(rows).to_have_count(len(expected_groups) + any(r.support_group_id is None for r in resolved))
    row = rows.filter(has=page.get_by_role("rowheader", name="Service Desk", exact=True))
    ours = desk.sla_row([r for r in resolved if r.support_group_id == service_desk.pk])
    assert ours["resolution_breached"] >= 2  # the demo's late calls of last month
    figures = {
        "response_percent": shown(ours["response_percent"], "percent"),
        "resolution_percent": shown(ours["resolution_percent"], "percent"),
        "response_breached": shown(ours["response_breached"]),
        "resolution_breached": shown(ours["resolution_breached"]),
        "breached": shown(ours["breached"]),
    }
    for column, figure in figures.items():
        assert cell(row, column) == figure, column
    if CHARTS_SCRIPT.exists():  # drawn by ECharts once static/js/charts.js is on the branch
        expect(page.locator('[data-chart="report-chart"] svg').first).to_be_visible()
    else:
        expect(page.locator('[data-chart="report-chart"]')).to_be_attached()

    # ... exports it as CSV and as XLSX: the files hold the table's figures.
    with page.expect_download() as download:
        page.get_by_test_id("export-csv").click()
    assert download.value.suggested_filename == (
        f"sla_compliance_{start:%Y-%m-%d}_{end - timedelta(days=1):%Y-%m-%d}.csv"
    )
    text = Path(download.value.path()).read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert table[0] == [
        "Support group",
        "Response met (%)",
        "Resolution met (%)",
        "Response breaches",
        "Resolution breaches",
        "Breaches",
    ]
    assert [line[0] for line in table[1:]] == page.get_by_test_id("report-row").locator(
        "th"
    ).all_inner_texts()
    numbers = [ours["response_percent"], ours["resolution_percent"], ours["response_breached"],
               ours["resolution_breached"], ours["breached"]]  # fmt: skip
    [csv_row] = [line for line in table if line[0] == "Service Desk"]
    assert csv_row[1:] == ["" if n is None else str(n) for n in numbers]
    with page.expect_download() as download:
        page.get_by_test_id("export-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    cells = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert cells[0] == table[0]
    [xlsx_row] = [line for line in cells if line[0] == "Service Desk"]
    assert xlsx_row[1:] == [None if n is None else (n / 100 if i < 2 else n) for i, n in enumerate(numbers)]

    # ... drills into her group's breached records: the queue lists exactly those.
    breached = {
        r.number
        for r in resolved
        if r.support_group_id == service_desk.pk
        and "breached" in (desk.outcome(r, "response"), desk.outcome(r, "resolution"))
    }
    row.get_by_test_id("drill").click()
    page.wait_for_url(re.compile(r"/desk/queue/\?"))
    expect(page.get_by_test_id("queue-count")).to_have_text(f"{len(breached)} records")
    assert (
        set(page.get_by_test_id("queue-row").evaluate_all("rows => rows.map(r => r.dataset.number)"))
        == breached
    )

    # ... and saves the report.
    page.go_back()
    page.get_by_test_id("save-report").locator("summary").click()
    form = page.get_by_test_id("save-report-form")
    form.get_by_label("Name").fill(REPORT_NAME)
    form.get_by_role("button", name="Save").click()
    saved = SavedReport.objects.get(owner=people["carol"], name=REPORT_NAME)
    page.wait_for_url(re.compile(r"/reports/measures/sla_compliance/\?"))
    assert "period=last_month" in page.url
    assert "by=group" in page.url
    assert saved.measure == "sla_compliance"
    sign_out(page)

    # bob, an agent, can open neither her saved report nor her groups' dashboard.
    log_in(people["bob"], DEMO_PASSWORD)
    for path in (f"/reports/saved/{saved.pk}/", "/reports/dashboards/manager/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
    # ... his own work he may read.
    assert page.goto(f"{live_server.url}/reports/").status == 200
    page.wait_for_url(f"{live_server.url}/reports/dashboards/agent/")
    sign_out(page)

    # alice, a requester, reads no reports.
    log_in(people["alice"], DEMO_PASSWORD)
    expect(page.get_by_test_id("nav-reports")).to_have_count(0)
    assert page.goto(f"{live_server.url}/reports/").status == 404
    # The 404s above are expected; nothing else may be reported.
    assert [e for e in browser_log.errors if "status of 404" not in e] == []
    assert browser_log.foreign_requests(live_server.url) == []
