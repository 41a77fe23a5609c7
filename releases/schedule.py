"""Releases on the forward schedule (issue 17, item 8): approved and deploying releases by their planned
slot, and their waves' windows beneath them, registered with `changes.schedule_sources` so the schedule's
month, week and list views, its feed and its API show them, marked as releases. Two queries, whatever
the span holds."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from changes.schedule_sources import ScheduleEntry, register_schedule_source

from . import workflow as wf
from .models import Wave
from .permissions import ReleasePolicy

KIND = "release"


def _on_schedule(user, *, service=None, ci=None, group=None):
    """The releases on the schedule `user` may see (a requester: those they raised), filtered."""
    rows = ReleasePolicy.visible_to(user).filter(status__in=wf.ON_SCHEDULE_STATUSES)
    if service is not None:
        rows = rows.filter(services=service)
    if ci is not None:
        rows = rows.filter(Q(target_cis=ci) | Q(deployment_tasks__ci=ci))
    if group is not None:
        rows = rows.filter(support_group=group)
    return rows


def release_schedule_entries(*, user, start, end, service=None, ci=None, group=None) -> list[ScheduleEntry]:
    """The approved and deploying releases whose planned slot overlaps [start, end), and the waves of
    such releases whose window does, as `user` may see them."""
    releases = _on_schedule(user, service=service, ci=ci, group=group)
    entries = []
    for release in (
        releases.filter(planned_start__lt=end, planned_end__gt=start)
        .distinct()
        .order_by("planned_start", "pk")
    ):
        entries.append(
            ScheduleEntry(
                kind=KIND,
                kind_label=_("Release"),
                number=release.number,
                title=f"{release.title} {release.release_version}",
                url=reverse("record", args=[release.number]),
                start=release.planned_start,
                end=release.planned_end,
                status=release.status,
                status_label=release.get_status_display(),
                uid=release.number,
                updated_at=release.updated_at,
                sequence=release.version,
            )
        )
    waves = (
        Wave.objects.filter(release__in=releases.values("pk"), planned_start__lt=end, planned_end__gt=start)
        .select_related("release")
        .order_by("planned_start", "release_id", "position")
    )
    for wave in waves:
        release = wave.release
        entries.append(
            ScheduleEntry(
                kind=KIND,
                kind_label=_("Wave"),
                number=release.number,
                title=wave.name,
                url=f"{reverse('record', args=[release.number])}#wave-{wave.pk}",
                start=wave.planned_start,
                end=wave.planned_end,
                status=wave.status,
                status_label=wave.get_status_display(),
                uid=f"{release.number}-wave-{wave.pk}",
                parent=release.number,
                updated_at=release.updated_at,
                sequence=release.version,
            )
        )
    return entries


def register_release_schedule() -> None:
    register_schedule_source(KIND, release_schedule_entries)
