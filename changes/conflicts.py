"""Conflict detection (issue 16, item 5): what stands in the way of a change's planned slot.

A change's *footprint* is its affected CIs and its services. Against the other changes that hold, or may
take, their slot (`workflow.COMMITTED_STATUSES`) overlapping its planned time, it conflicts by:

- `overlap`: they change one of the same CIs;
- `dependency`: one of their CIs depends on one of ours (reached walking up from ours through the CMDB's
  impact) or one of ours depends on one of theirs (walking down);

and, by itself, by lying in a freeze (`blackout`: global, or on a service it touches: its services and
the business services its CIs take down) or outside the maintenance windows of a service it touches
(`outside_maintenance`; a service without windows takes changes any time).

`conflicts_many` answers for a page of changes in a constant number of statements (the impact walks run
together, one statement per level); `change_conflicts` is it for one. Scheduling (`schedule_check`) and
moving a scheduled change (`reschedule_check`) refuse a slot with conflicts unless a change manager gives
the reason it goes ahead, which is recorded.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cmdb.impact import DOWN, UP, ci_reach_many
from cmdb.models import ConfigurationItem
from servicedesk.errors import Conflict, PermissionDenied
from servicedesk.lookups import AnyOf
from servicedesk.services import audit_record

from . import workflow as wf
from .models import Change
from .permissions import ChangePolicy
from .windows import blackout_applies, blackouts_overlapping, inside_maintenance, maintenance_windows_of

OVERLAP = "overlap"
DEPENDENCY = "dependency"
BLACKOUT = "blackout"
OUTSIDE_MAINTENANCE = "outside_maintenance"
KINDS = (OVERLAP, DEPENDENCY, BLACKOUT, OUTSIDE_MAINTENANCE)
# How far the walks go: deep enough for real estates, bounded so that a hub CI stays cheap.
REACH_DEPTH = 5
REACH_LIMIT = 20_000

_CIS = Change.affected_cis.through
_SERVICES = Change.services.through


@dataclass(frozen=True)
class ChangeConflict:
    """One conflict of a change's slot. `change` is the other change's number (overlap, dependency),
    `window` the freeze's or the service's name (blackout, outside_maintenance), `cis` the names of
    the CIs concerned (theirs first for a dependency), `starts_at`/`ends_at` the other change's or the
    freeze's span."""

    kind: str
    message: str
    change: str = ""
    window: str = ""
    cis: tuple[str, ...] = ()
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    direction: str = ""  # dependency: "up" (their CI depends on ours) or "down" (ours on theirs)

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "change": self.change,
            "window": self.window,
            "cis": list(self.cis),
            "starts_at": self.starts_at.isoformat() if self.starts_at else None,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "direction": self.direction,
        }


@dataclass
class _Plan:
    """What one change's check needs, gathered for all the changes at once."""

    change: Change | None
    cis: set[int] = field(default_factory=set)
    services: set[int] = field(default_factory=set)
    up: dict[int, int] = field(default_factory=dict)  # reached CI -> one of ours that reaches it
    down: dict[int, int] = field(default_factory=dict)


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")


def _footprints(plans: dict[int, _Plan]) -> None:
    ids = list(plans)
    for change_id, ci_id in _CIS.objects.filter(AnyOf(F("change_id"), ids)).values_list(
        "change_id", "configurationitem_id"
    ):
        plans[change_id].cis.add(ci_id)
    for change_id, ci_id in _SERVICES.objects.filter(AnyOf(F("change_id"), ids)).values_list(
        "change_id", "configurationitem_id"
    ):
        plans[change_id].services.add(ci_id)


def _reach(plans: dict[int, _Plan], directions=((UP, "up"), (DOWN, "down"))) -> None:
    """Each change's CIs' walks up and down, all in the same statements."""
    starts = sorted({pk for plan in plans.values() for pk in plan.cis | plan.services})
    if not starts:
        return
    for direction, attr in directions:
        reach = ci_reach_many(cis=starts, direction=direction, max_depth=REACH_DEPTH, limit=REACH_LIMIT)
        for plan in plans.values():
            reached = getattr(plan, attr)
            for start in sorted(plan.cis | plan.services):
                for pk in reach.get(start, {}):
                    reached.setdefault(pk, start)


def _others(plans: dict[int, _Plan], start: datetime, end: datetime) -> list[tuple]:
    """The committed changes over [start, end) on any CI the changes' footprints or walks reach:
    (change id, CI id, number, title, planned start, planned end) by the CI's id index."""
    ids = set()
    for plan in plans.values():
        ids |= plan.cis | plan.services | set(plan.up) | set(plan.down)
    if not ids:
        return []
    ids = sorted(ids)
    rows = []
    for through in (_CIS, _SERVICES):
        rows += through.objects.filter(
            AnyOf(F("configurationitem_id"), ids),
            change__status__in=wf.COMMITTED_STATUSES,
            change__planned_start__lt=end,
            change__planned_end__gt=start,
        ).values_list(
            "change_id",
            "configurationitem_id",
            "change__number",
            "change__planned_start",
            "change__planned_end",
        )
    return rows


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(ConfigurationItem.objects.filter(AnyOf(F("id"), sorted(ids))).values_list("id", "name"))


def _change_conflicts(plan: _Plan, others: list[tuple], names: dict[int, str]) -> list[ChangeConflict]:
    change = plan.change
    mine = plan.cis | plan.services
    found: dict[tuple[str, str], dict] = {}
    for other_id, ci_id, number, other_start, other_end in others:
        if other_id == change.pk or not (
            other_start < change.planned_end and other_end > change.planned_start
        ):
            continue
        if ci_id in mine:
            kind, direction, concerned = OVERLAP, "", [ci_id]
        elif ci_id in plan.up:
            kind, direction, concerned = DEPENDENCY, UP, [ci_id, plan.up[ci_id]]
        elif ci_id in plan.down:
            kind, direction, concerned = DEPENDENCY, DOWN, [ci_id, plan.down[ci_id]]
        else:
            continue
        entry = found.setdefault(
            (number, kind, direction),
            {"kind": kind, "direction": direction, "number": number, "span": (other_start, other_end),
             "theirs": {}, "ours": {}},
        )  # fmt: skip
        entry["theirs"][concerned[0]] = None
        entry["ours"].update(dict.fromkeys(concerned[1:]))
    conflicts = []
    for entry in sorted(found.values(), key=lambda e: (e["span"][0], e["number"], e["kind"], e["direction"])):
        theirs = [names.get(pk, str(pk)) for pk in entry["theirs"]]
        ours = [names.get(pk, str(pk)) for pk in entry["ours"] if pk not in entry["theirs"]]
        start, end = entry["span"]
        values = {
            "number": entry["number"],
            "start": _when(start),
            "end": _when(end),
            "theirs": ", ".join(theirs),
            "ours": ", ".join(ours),
        }
        if entry["kind"] == OVERLAP:
            message = _("%(number)s changes %(theirs)s too (%(start)s to %(end)s).") % values
        elif entry["direction"] == UP:
            message = (
                _("%(number)s changes %(theirs)s, which depends on %(ours)s (%(start)s to %(end)s).") % values
            )
        else:
            message = (
                _("%(number)s changes %(theirs)s, which %(ours)s depends on (%(start)s to %(end)s).") % values
            )
        conflicts.append(
            ChangeConflict(
                kind=entry["kind"],
                message=message,
                change=entry["number"],
                cis=(*theirs, *ours),
                starts_at=start,
                ends_at=end,
                direction=entry["direction"],
            )
        )
    return conflicts


def _touched_services(plan: _Plan) -> set[int]:
    """Its services and every CI its walk up reaches (the freezes and windows name only services)."""
    return plan.services | plan.cis | set(plan.up)


def _window_conflicts(plan: _Plan, blackouts: list, windows: dict[int, list]) -> list[ChangeConflict]:
    change = plan.change
    return window_conflicts(
        start=change.planned_start,
        end=change.planned_end,
        touched=_touched_services(plan),
        blackouts=blackouts,
        windows=windows,
    )


def window_conflicts(
    *, start: datetime, end: datetime, touched: set[int], blackouts: list, windows: dict[int, list]
) -> list[ChangeConflict]:
    """The freezes (`blackout`) and maintenance windows (`outside_maintenance`) that work over
    [start, end) touching the services `touched` runs into, from freezes and windows already read
    (`blackouts_overlapping`, `maintenance_windows_of`): no query."""
    conflicts = []
    for blackout in blackouts:
        if blackout.starts_at < end and blackout.ends_at > start and blackout_applies(blackout, touched):
            values = {
                "name": blackout.name,
                "start": _when(blackout.starts_at),
                "end": _when(blackout.ends_at),
            }
            message = _("Inside the freeze “%(name)s” (%(start)s to %(end)s).") % values
            if blackout.reason:
                message = f"{message} {blackout.reason}"
            conflicts.append(
                ChangeConflict(
                    kind=BLACKOUT,
                    message=message,
                    window=blackout.name,
                    cis=tuple(s.name for s in blackout.service_list if s.pk in touched),
                    starts_at=blackout.starts_at,
                    ends_at=blackout.ends_at,
                )
            )
    for service_id in sorted(touched & set(windows), key=lambda pk: windows[pk][0].service.name.lower()):
        service_windows = windows[service_id]
        if not inside_maintenance(service_windows, start, end):
            service = service_windows[0].service.name
            values = {"service": service, "windows": ", ".join(w.name for w in service_windows)}
            conflicts.append(
                ChangeConflict(
                    kind=OUTSIDE_MAINTENANCE,
                    message=_("Outside the maintenance windows of %(service)s (%(windows)s).") % values,
                    window=service,
                    cis=(service,),
                )
            )
    return conflicts


def conflicts_many(changes) -> dict[int, list[ChangeConflict]]:
    """Each change's conflicts, by change id (empty for a change without planned dates), in a constant
    number of statements whatever the number of changes: their CIs and services, the impact walks (one
    statement per level, for all of them), the other changes on what they reach, the freezes and the
    maintenance windows over their span, and the names of the CIs concerned."""
    changes = list(changes)
    result: dict[int, list[ChangeConflict]] = {change.pk: [] for change in changes}
    plans = {
        change.pk: _Plan(change)
        for change in changes
        if change.planned_start is not None and change.planned_end is not None
    }
    if not plans:
        return result
    start = min(plan.change.planned_start for plan in plans.values())
    end = max(plan.change.planned_end for plan in plans.values())
    _footprints(plans)
    _reach(plans)
    others = _others(plans, start, end)
    touched = set().union(*(_touched_services(plan) for plan in plans.values()))
    windows_by_service = maintenance_windows_of(touched)
    blackouts = list(blackouts_overlapping(start, end))
    concerned = {row[1] for row in others}
    concerned |= {pk for plan in plans.values() for pk in [*plan.up.values(), *plan.down.values()]}
    names = _names(concerned)
    for change_id, plan in plans.items():
        result[change_id] = _change_conflicts(plan, others, names) + _window_conflicts(
            plan, blackouts, windows_by_service
        )
    return result


def slot_window_conflicts(*, start: datetime, end: datetime, cis=(), services=()) -> list[ChangeConflict]:
    """What work on the CIs `cis` and the business services `services` (ids) over [start, end) runs
    into, judged as a change's slot is: the freezes over it (global, or on a service it touches) and the
    maintenance windows it lies outside of, on its services and every CI the walk up from its CIs
    reaches. For other processes' work (a release's wave); a constant number of statements."""
    plan = _Plan(change=None, cis=set(cis), services=set(services))
    _reach({0: plan}, directions=((UP, "up"),))
    touched = _touched_services(plan)
    return window_conflicts(
        start=start,
        end=end,
        touched=touched,
        blackouts=list(blackouts_overlapping(start, end)),
        windows=maintenance_windows_of(touched),
    )


def change_conflicts(change: Change) -> list[ChangeConflict]:
    """The conflicts of `change`'s planned slot (none without dates): see the module's docstring."""
    return conflicts_many([change])[change.pk]


def _override(*, conflicts: list[ChangeConflict], actor, override_reason: str) -> str:
    """Refuse a slot with conflicts (409 `schedule_conflicts`, listing them) unless a change manager (or
    the system) gives a reason; the reason, stripped."""
    reason = (override_reason or "").strip() if isinstance(override_reason, str) else ""
    listed = [conflict.as_dict() for conflict in conflicts]
    if not reason:
        raise Conflict(
            _("This slot conflicts: %(conflicts)s A change manager may go ahead regardless, saying why.")
            % {"conflicts": " ".join(conflict.message for conflict in conflicts)},
            code="schedule_conflicts",
            extra={"conflicts": listed},
        )
    # The system (actor None) goes ahead when it gives its reason: a change carried out elsewhere takes
    # the slot its carrier's own checks gave it (`services.elsewhere`).
    if actor is not None and not ChangePolicy.is_manager(actor):
        raise PermissionDenied(_("Only a change manager may schedule a change despite its conflicts."))
    return reason


def _need_dates(record) -> None:
    if record.planned_start is None or record.planned_end is None:
        raise ValidationError(
            {"planned_start": _("Plan the start and the end before scheduling the change.")}
        )


def schedule_check(firing) -> None:
    """The `schedule` transitions' effect: the change needs its dates; with conflicts, refused (Conflict,
    409 `schedule_conflicts`) unless the input `override_reason` is given by a change manager
    (PermissionDenied otherwise), which records the reason, who and when on the change and the
    conflicts in the transition's data (timeline, audit, event)."""
    record = firing.record
    _need_dates(record)
    conflicts = change_conflicts(record)
    if not conflicts:
        return
    reason = _override(
        conflicts=conflicts, actor=firing.actor, override_reason=firing.inputs.get("override_reason")
    )
    firing.set("conflict_override_reason", reason)
    firing.set("conflict_override_by", firing.actor)
    firing.set("conflict_override_at", firing.now)
    firing.data["override_reason"] = reason
    firing.data["conflicts"] = [conflict.as_dict() for conflict in conflicts]


OVERRIDE_FIELDS = ("conflict_override_reason", "conflict_override_by", "conflict_override_at")


def reschedule_check(*, record, actor, override_reason: str = "") -> list[str]:
    """A scheduled change's new dates (set on `record`, not saved yet), checked as scheduling checks them:
    refused with conflicts (Conflict 409 `schedule_conflicts`) unless a change manager gives
    `override_reason` (PermissionDenied otherwise); then the override is set on the record and audited.
    Returns the names of the fields it set, for the caller to save with the rest."""
    _need_dates(record)
    conflicts = change_conflicts(record)
    if not conflicts:
        return []
    reason = _override(conflicts=conflicts, actor=actor, override_reason=override_reason)
    record.conflict_override_reason = reason
    record.conflict_override_by = actor
    record.conflict_override_at = timezone.now()
    audit_record(
        actor=actor,
        action="change.conflicts_overridden",
        target=record,
        data={"override_reason": reason, "conflicts": [conflict.as_dict() for conflict in conflicts]},
    )
    return list(OVERRIDE_FIELDS)
