"""Incidents a release possibly caused (issue 17, item 6): one raised on a CI the release is deploying to
in a running wave, or was in a wave finished within the last hour, is linked to the release
(`links.RELEASE_CAUSED`) by a listener on the incidents' "created" event (registered in `apps.py`)."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from servicedesk.records.linking import record_link

from .. import workflow as wf
from ..links import RELEASE_CAUSED
from ..models import DeploymentTask, Release, Wave

# How long after a wave finished an incident on its CIs is still suspected of coming from it.
AFTER_WAVE = timedelta(hours=1)


def releases_deploying_to(ci_ids, *, now=None):
    """The releases with a task on one of `ci_ids` in a running wave of a deploying release, or in a wave
    that finished within `AFTER_WAVE`: one statement, through the tasks' (ci, status) index."""
    now = now or timezone.now()
    tasks = DeploymentTask.objects.filter(ci_id__in=ci_ids).filter(
        Q(wave__status=Wave.Status.RUNNING, release__status=wf.DEPLOYING)
        | Q(wave__finished_at__gte=now - AFTER_WAVE)
    )
    return Release.objects.filter(pk__in=tasks.values("release_id")).order_by("pk")


def incident_raised(*, record, event: str, actor, data: dict) -> None:
    """Listener of the incidents' "created": link (as the system) the incident to each release that was
    deploying to one of its CIs."""
    if not hasattr(record, "affected_cis") or getattr(record, "kind", "incident") != "incident":
        return
    for release in releases_deploying_to(record.affected_cis.values("pk")):
        record_link(actor=None, link_type=RELEASE_CAUSED, source=release, target=record)
