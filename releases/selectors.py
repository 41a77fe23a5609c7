"""Reads of releases, for pages, the API and tasks."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from changes.models import Change
from servicedesk.errors import NotFound
from servicedesk.models import RecordLink

from .links import RELEASE_CHANGES
from .models import Release
from .permissions import ReleasePolicy


def release_list_for_user(*, user) -> QuerySet[Release]:
    return ReleasePolicy.visible_to(user).select_related("support_group", "assignee", "test_lead")


def release_get_for_user(*, user, number: str) -> Release:
    found = (
        release_list_for_user(user=user)
        .select_related("requester", "created_by", "baseline")
        .filter(number=number)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def release_changes(release: Release) -> QuerySet[Change]:
    """The changes the release bundles (and implements), oldest first."""
    links = RecordLink.objects.filter(
        link_type=RELEASE_CHANGES,
        source_type=ContentType.objects.get_for_model(Release),
        source_id=release.pk,
    )
    return Change.objects.filter(pk__in=links.values("target_id")).order_by("created_at", "pk")


def change_release(change: Change) -> Release | None:
    """The release that implements `change`, if any."""
    link = (
        RecordLink.objects.filter(
            link_type=RELEASE_CHANGES,
            target_type=ContentType.objects.get_for_model(Change),
            target_id=change.pk,
        )
        .values_list("source_id", flat=True)
        .first()
    )
    return Release.objects.filter(pk=link).first() if link is not None else None
