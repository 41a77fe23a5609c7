"""The change success rate: outcomes counted in the database, overall and by type, group, service and
month (in the reader's time zone), for who may see changes."""

import re
import zoneinfo
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from changes import workflow as wf
from changes.models import Change
from changes.selectors_reports import success_rate_report
from changes.services import change_create, change_from_standard

from ..incidents.factories import BusinessServiceFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2030, 6, 15, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))


def closed(record, outcome: str, at: datetime) -> Change:
    Change.objects.filter(pk=record.pk).update(status=wf.CLOSED, review_outcome=outcome, closed_at=at)
    return record


@pytest.fixture
def history(agent, service, support_group, standard):
    """Five closed changes (three reviewed successful), one still open, one closed without review."""
    mail = BusinessServiceFactory(name="Mail")
    month = lambda m, d=10: datetime(2030, m, d, 12, 0, tzinfo=zoneinfo.ZoneInfo("UTC"))  # noqa: E731
    closed(
        change_create(actor=agent, title="A", services=[service], support_group=support_group),
        "successful",
        month(6),
    )
    closed(change_create(actor=agent, title="B", services=[service, mail]), "failed", month(6))
    closed(
        change_create(actor=agent, title="C", services=[mail], change_type=wf.EMERGENCY), "partial", month(5)
    )
    closed(change_from_standard(actor=agent, standard=standard), "successful", month(4))
    closed(change_from_standard(actor=agent, standard=standard), "successful", month(1))
    change_create(actor=agent, title="Still open")
    Change.objects.filter(pk=change_create(actor=agent, title="Unreviewed").pk).update(status=wf.CLOSED)
    return mail


def test_the_rate_counts_successful_reviews_of_closed_changes(agent, history, service):
    report = success_rate_report(user=agent, now=NOW)
    overall = report["overall"]
    assert (overall.total, overall.successful, overall.partial, overall.failed) == (5, 3, 1, 1)
    assert overall.rate == 60.0
    by_type = {row.key: (row.total, row.successful) for row in report["by_type"]}
    assert by_type == {wf.STANDARD: (2, 2), wf.NORMAL: (2, 1), wf.EMERGENCY: (1, 0)}
    by_service = {row.label: (row.total, row.rate) for row in report["by_service"]}
    assert by_service == {"Payroll": (4, 75.0), "Mail": (2, 0.0)}  # the standard ones are on Payroll
    by_group = {row.label: row.total for row in report["by_group"]}
    assert by_group["Service Desk"] == 3  # two from the standard change's group, one named


def test_the_trend_covers_twelve_months_including_empty_ones(agent, history):
    trend = success_rate_report(user=agent, now=NOW)["trend"]
    assert len(trend) == 12
    assert trend[0].label == "2029-07"
    assert trend[-1].label == "2030-06"
    totals = {row.label: (row.total, row.successful) for row in trend}
    assert totals["2030-06"] == (2, 1)
    assert totals["2030-05"] == (1, 0)
    assert totals["2030-03"] == (0, 0)
    assert totals["2030-01"] == (1, 1)


def test_months_are_the_readers(agent, standard):
    """Closed at 20:00 UTC on 31 May is already June in Shanghai."""
    closed(
        change_from_standard(actor=agent, standard=standard),
        "successful",
        datetime(2030, 5, 31, 20, 0, tzinfo=zoneinfo.ZoneInfo("UTC")),
    )
    with timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        trend = {row.label: row.total for row in success_rate_report(user=agent, now=NOW)["trend"]}
    assert (trend["2030-05"], trend["2030-06"]) == (0, 1)
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        trend = {row.label: row.total for row in success_rate_report(user=agent, now=NOW)["trend"]}
    assert (trend["2030-05"], trend["2030-06"]) == (1, 0)


def test_the_page_shows_the_tables_in_constant_queries(
    client, agent, history, standard, django_assert_max_num_queries
):
    client.force_login(agent)
    response = client.get(reverse("changes:success"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="overall-rate" data-rate="60.0"' in body
    assert len(re.findall(r'data-testid="trend-row"', body)) == 12
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("changes:success"))
    for index in range(5):
        service = BusinessServiceFactory(name=f"Service {index}")
        closed(
            change_create(actor=agent, title=f"More {index}", services=[service]),
            "successful",
            timezone.now(),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("changes:success")).status_code == 200


def test_requesters_do_not_see_the_success_rate(client, requester, history):
    client.force_login(requester)
    assert client.get(reverse("changes:success")).status_code == 404
    assert success_rate_report(user=requester, now=NOW)["overall"].total == 0
