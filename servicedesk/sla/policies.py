"""Which policy covers a record, its targets, its thresholds and the time zone its hours count in."""

import zoneinfo
from dataclasses import dataclass, replace
from functools import cache

from django.db.models import Prefetch, QuerySet

from servicedesk.configmemo import config_memo
from servicedesk.models import BusinessCalendar, EscalationRule, SLAPolicy, SLATarget

from .adapters import SLAFacts
from .calendar import Schedule
from .calendars import calendar_schedules

BREACH = "breach"


@dataclass(frozen=True)
class Threshold:
    """A point of a clock's target: a warning, the breach or an escalation rule."""

    key: str  # unique within a clock cycle: "warning:75", "warning:-30m", "breach", "rule:12"
    seconds: float  # business seconds into the clock
    kind: str  # "warning", "breach" or "rule"
    percent: float
    rule: EscalationRule | None = None


def policies_with_rules() -> QuerySet[SLAPolicy]:
    """Policies with what the clocks need of them: calendar, targets, escalation rules, organisations."""
    return SLAPolicy.objects.select_related("calendar").prefetch_related(
        Prefetch("targets", queryset=SLATarget.objects.order_by("metric", "priority")),
        Prefetch("escalations", queryset=EscalationRule.objects.order_by("metric", "percent")),
        "organisations",
    )


def policies_by_id() -> dict[int, SLAPolicy]:
    """Every policy with its rules (`policies_with_rules`), by id: read once per process until an edit of
    the SLA configuration (`servicedesk.configmemo`). Shared: never change what it returns."""
    return config_memo("sla.policies", lambda: {policy.pk: policy for policy in policies_with_rules()})


def calendar_schedules_all() -> dict[int, Schedule]:
    """Every calendar's `Schedule` by id, read once per process until an edit of the configuration."""
    return config_memo("sla.schedules", lambda: calendar_schedules(BusinessCalendar.objects.all()))


def policy_applies(policy: SLAPolicy, facts: SLAFacts) -> bool:
    """Whether the policy's criteria (kind, priority, organisation) cover the record; empty ones do."""
    if policy.kinds and facts.kind not in policy.kinds:
        return False
    if policy.priorities and facts.priority not in [int(p) for p in policy.priorities]:
        return False
    organisations = {organisation.pk for organisation in policy.organisations.all()}
    return not organisations or facts.organisation_id in organisations


def policy_match(facts: SLAFacts, policies: list[SLAPolicy] | None = None) -> SLAPolicy | None:
    """The policy for a record: its service's (if active and applicable), else the first active policy by
    order that applies and is not reserved for the services that name it; None when nothing applies."""
    if policies is None:
        policies = list(policies_by_id().values())
    by_id = {policy.pk: policy for policy in policies if policy.is_active}
    named = by_id.get(facts.service_policy_id) if facts.service_policy_id else None
    if named is not None and policy_applies(named, facts):
        return named
    for policy in sorted(by_id.values(), key=lambda p: (p.order, p.pk)):
        if not policy.services_only and policy_applies(policy, facts):
            return policy
    return None


def policy_target(policy: SLAPolicy, metric: str, priority: int) -> int | None:
    """The business seconds a record of `priority` has for `metric` under the policy; None: no target."""
    for target in policy.targets.all():
        if target.metric == metric and target.priority == priority:
            return int(target.target.total_seconds())
    return None


def policy_thresholds(policy: SLAPolicy, metric: str, target_seconds: int) -> list[Threshold]:
    """Every threshold of a clock with this target, in the order it crosses them (warnings before an
    escalation rule at the same point, the breach before rules at 100 %)."""
    thresholds = [Threshold(BREACH, float(target_seconds), "breach", 100.0)]
    for percent in sorted({int(p) for p in policy.warning_percents or []}):
        if 0 < percent < 100:
            thresholds.append(
                Threshold(f"warning:{percent}", target_seconds * percent / 100, "warning", percent)
            )
    if policy.warning_minutes and policy.warning_minutes * 60 < target_seconds:
        seconds = float(target_seconds - policy.warning_minutes * 60)
        thresholds.append(
            Threshold(
                f"warning:-{policy.warning_minutes}m", seconds, "warning", 100 * seconds / target_seconds
            )
        )
    for rule in policy.escalations.all():
        if rule.metric == metric:
            thresholds.append(
                Threshold(f"rule:{rule.pk}", target_seconds * rule.percent / 100, "rule", rule.percent, rule)
            )
    order = {"warning": 0, "breach": 1, "rule": 2}
    return sorted(thresholds, key=lambda t: (t.seconds, order[t.kind], t.key))


class Schedules:
    """Schedules by (calendar, time zone), each calendar read once: one sweep batch or one page."""

    def __init__(self):
        self._base: dict[int, Schedule] = {}
        self._zoned: dict[tuple[int, str], Schedule] = {}

    def load(self, calendars) -> None:
        missing = {calendar.pk: calendar for calendar in calendars if calendar.pk not in self._base}
        if missing:
            known = calendar_schedules_all()
            self._base.update({pk: known[pk] for pk in missing if pk in known})
            unknown = [calendar for pk, calendar in missing.items() if pk not in known]
            if unknown:  # created since the configuration was read, in a transaction not yet committed
                self._base.update(calendar_schedules(unknown))

    def get(self, calendar, time_zone: str = "") -> Schedule:
        self.load([calendar])
        base = self._base[calendar.pk]
        if not time_zone or time_zone == base.time_zone:
            return base
        key = (calendar.pk, time_zone)
        if key not in self._zoned:
            self._zoned[key] = replace(base, time_zone=time_zone)
        return self._zoned[key]

    def put(self, calendar_id: int, schedule: Schedule) -> None:
        """Use `schedule` for the calendar (the hours before an edit, when banking the time so far)."""
        self._base[calendar_id] = schedule
        self._zoned = {key: value for key, value in self._zoned.items() if key[0] != calendar_id}


def clock_time_zone(policy: SLAPolicy, adapter, record) -> str:
    """The IANA zone a record's business hours count in: the policy's source, else the calendar's."""
    zone = ""
    if policy.time_zone_source == SLAPolicy.TimeZoneSource.REQUESTER:
        zone = adapter.requester_time_zone(record)
    elif policy.time_zone_source == SLAPolicy.TimeZoneSource.CI_LOCATION:
        zone = adapter.location_time_zone(record)
    return zone if zone in _known_zones() else policy.calendar.time_zone


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())
