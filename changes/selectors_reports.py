"""The change success rate (issue 16, item 7): how the closed changes' post-implementation reviews came
out, overall, by type, by implementer group, by service, and month by month over the last year.

Each figure is one aggregate in the database (`Count(filter=...)`), whatever the number of changes: five
statements for the whole report. A change counts once it is closed with its review; "successful" is the
review's outcome Successful (partially successful ones are shown apart, not as successes).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import workflow as wf
from .models import Change, ChangeType
from .permissions import ChangePolicy

TREND_MONTHS = 12
OUTCOMES = {
    "successful": Change.Outcome.SUCCESSFUL,
    "partial": Change.Outcome.PARTIAL,
    "failed": Change.Outcome.FAILED,
    "backed_out": Change.Outcome.BACKED_OUT,
}


@dataclass(frozen=True)
class Outcomes:
    """How the reviews of a set of changes came out."""

    label: str
    total: int = 0
    successful: int = 0
    partial: int = 0
    failed: int = 0
    backed_out: int = 0
    key: object = None

    @property
    def rate(self) -> float | None:
        """The share of successful changes, in percent (None without any)."""
        return round(100 * self.successful / self.total, 1) if self.total else None


def _counts() -> dict:
    return {
        "total": Count("id"),
        **{name: Count("id", filter=Q(review_outcome=outcome)) for name, outcome in OUTCOMES.items()},
    }


def _outcomes(row: dict, label, key=None) -> Outcomes:
    return Outcomes(label=str(label), key=key, **{name: row[name] for name in ("total", *OUTCOMES)})


def reviewed_changes_for_user(*, user) -> QuerySet[Change]:
    """The closed, reviewed changes `user` may see."""
    return ChangePolicy.visible_to(user).filter(status=wf.CLOSED).exclude(review_outcome="")


def _month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last `months` months (this one last), in the current time zone."""
    local = timezone.localtime(now)
    year, month = local.year, local.month
    starts = []
    for _step in range(months):
        starts.append(local.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [timezone.make_aware(start.replace(tzinfo=None)) for start in reversed(starts)]


def success_rate_report(*, user, now: datetime | None = None) -> dict:
    """The success rate overall, by type, by implementer group and by service, and its trend by month
    (the last `TREND_MONTHS`, months in the person's time zone, months without changes included)."""
    rows = reviewed_changes_for_user(user=user)
    counts = _counts()
    overall = _outcomes(rows.aggregate(**counts), "")
    types = dict(ChangeType.choices)
    by_type = [
        _outcomes(row, types.get(row["change_type"], row["change_type"]), row["change_type"])
        for row in rows.values("change_type").annotate(**counts).order_by("change_type")
    ]
    by_group = [
        _outcomes(row, row["support_group__name"] or "—", row["support_group"])
        for row in rows.values("support_group", "support_group__name")
        .annotate(**counts)
        .order_by("support_group__name", "support_group")
    ]
    by_service = [
        _outcomes(row, row["services__name"], row["services"])
        for row in rows.filter(services__isnull=False)
        .values("services", "services__name")
        .annotate(**counts)
        .order_by("services__name", "services")
    ]
    starts = _month_starts(now or timezone.now(), TREND_MONTHS)
    by_month = {
        timezone.localtime(row["month"]).date(): row
        for row in rows.filter(closed_at__gte=starts[0])
        .annotate(month=TruncMonth("closed_at", tzinfo=timezone.get_current_timezone()))
        .values("month")
        .annotate(**counts)
        .order_by("month")
    }
    empty = {"total": 0, **dict.fromkeys(OUTCOMES, 0)}
    trend = [
        _outcomes(by_month.get(start.date(), empty), start.date().isoformat()[:7], start.date())
        for start in starts
    ]
    return {
        "overall": overall,
        "by_type": by_type,
        "by_group": by_group,
        "by_service": by_service,
        "trend": trend,
    }
