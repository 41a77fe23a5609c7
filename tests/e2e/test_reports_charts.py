"""The report and dashboard charts (issue 18) in a real browser: drawn by ECharts as SVG under the site's
content security policy, in the reader's language, and drawn again after the dashboard's refresh."""

from servicedesk.reporting.facts import facts_refresh_due
from tests.reports.conftest import file_records


def _desk(administrator, requester, agent, support_group):
    file_records(
        actor=administrator, requester=requester, group=support_group, assignees=[agent, agent, None]
    )
    facts_refresh_due()


def test_a_report_draws_its_chart_without_breaking_the_csp(
    log_in, live_server, browser_log, administrator, requester, agent, group_manager, support_group
):
    _desk(administrator, requester, agent, support_group)
    page = log_in(group_manager)

    page.goto(f"{live_server.url}/reports/measures/volumes/?period=last_7_days")

    chart = page.locator('[data-chart="report-chart"]')
    chart.locator("svg").first.wait_for()
    assert chart.get_attribute("aria-label")  # ECharts' description of the data, or ours
    assert page.get_by_test_id("report-row").count() == 7
    assert browser_log.errors == []


def test_the_dashboard_draws_its_charts_again_after_the_refresh(
    log_in, live_server, browser_log, administrator, requester, agent, group_manager, support_group
):
    _desk(administrator, requester, agent, support_group)
    page = log_in(group_manager)
    page.goto(f"{live_server.url}/reports/dashboards/manager/")
    page.locator('[data-chart="chart-trend"] svg').first.wait_for()

    page.evaluate("document.querySelector('[data-chart=chart-trend]').dataset.before = 'refresh'")

    # the refresh the tiles ask for every minute, without waiting a minute
    page.evaluate("htmx.ajax('GET', location.pathname, {target: '#dashboard-tiles', swap: 'outerHTML'})")

    page.locator('[data-chart="chart-trend"]:not([data-before]) svg').first.wait_for()
    assert page.locator('[data-chart="chart-trend"] svg').count() >= 1
    assert browser_log.errors == []
