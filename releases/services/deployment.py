"""Deploying a release in waves (issue 17, item 4)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Release, Wave


def deployment_readiness_errors(release: Release, *, override_reason: str = "") -> dict:
    """What starting the deployment needs and the release lacks."""
    if not release.waves.filter(total_tasks__gt=0).exists():
        return {"waves": _("Plan at least one wave with its target CIs.")}
    return {}


def deployment_begin(*, release: Release, actor, override_reason: str = "") -> None:
    """The deployment started: its first wave starts."""
    first = release.waves.order_by("position").first()
    if first is not None:
        Wave.objects.filter(pk=first.pk).update(status=Wave.Status.RUNNING, started_at=timezone.now())
