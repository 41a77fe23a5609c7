"""Keeping the freezes (blackout windows) and the services' maintenance windows, and each person's address
of the schedule's calendar feed."""

import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cmdb.selectors import business_service_list
from servicedesk.errors import PermissionDenied
from servicedesk.models.calendars import validate_time_zone
from servicedesk.services import audit_record

from ..models import BlackoutWindow, CalendarFeed, MaintenanceWindow
from ..permissions import ChangePolicy

BLACKOUT_FIELDS = ("name", "reason", "starts_at", "ends_at", "is_active")
MAINTENANCE_FIELDS = (
    "service",
    "name",
    "weekdays",
    "start_time",
    "duration_minutes",
    "time_zone",
    "is_active",
)
MAX_DURATION = 7 * 24 * 60
FEED_USE_EVERY = timedelta(hours=1)  # how often a feed's last use is written down


def _authorise(actor) -> None:
    if not ChangePolicy.can_manage_catalogue(actor):
        raise PermissionDenied(_("Only change managers keep the freeze and maintenance windows."))


def _services(values) -> list:
    services = list(dict.fromkeys(values or ()))
    found = set(business_service_list().filter(pk__in=[s.pk for s in services]).values_list("pk", flat=True))
    if any(service.pk not in found for service in services):
        raise ValidationError({"services": _("Choose business services from the catalogue.")})
    return services


def _diff(window, fields: dict) -> dict:
    diff = {}
    for name, value in fields.items():
        before = getattr(window, name, None)
        if before != value:
            diff[name] = {"from": str(before), "to": str(value)}
            setattr(window, name, value)
    return diff


def blackout_window_save(
    *, actor, window: BlackoutWindow | None = None, services=None, **fields
) -> BlackoutWindow:
    """Create a freeze (no `window`) or change one: `fields` among name, reason, starts_at, ends_at,
    is_active; `services` (business services, none: every change) replaces its services when given.
    Audited. Raises PermissionDenied unless a change manager, ValidationError for bad input."""
    _authorise(actor)
    unknown = set(fields) - set(BLACKOUT_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    creating = window is None
    window = window or BlackoutWindow()
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ValidationError({"name": _("This field cannot be blank.")})
    with transaction.atomic():
        if not creating:
            window = BlackoutWindow.objects.select_for_update().get(pk=window.pk)
        diff = _diff(window, fields)
        if window.starts_at is None or window.ends_at is None:
            raise ValidationError({"starts_at": _("Give when the freeze starts and ends.")})
        if window.ends_at <= window.starts_at:
            raise ValidationError({"ends_at": _("The freeze must end after it starts.")})
        window.save()
        if services is not None:
            services = _services(services)
            before = sorted(window.services.values_list("pk", flat=True))
            after = sorted(service.pk for service in services)
            if before != after:
                window.services.set(services)
                diff["services"] = {"from": before, "to": after}
        if creating or diff:
            action = "change.blackout_created" if creating else "change.blackout_updated"
            audit_record(actor=actor, action=action, target=window, data=diff)
    return window


def blackout_window_delete(*, actor, window: BlackoutWindow) -> None:
    """Remove a freeze (audited). Raises PermissionDenied unless a change manager."""
    _authorise(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="change.blackout_deleted", target=window, data={"name": window.name})
        window.delete()


def _weekdays(value) -> list[int]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError({"weekdays": _("Choose at least one day of the week (0 Monday ... 6 Sunday).")})
    days = []
    for day in value:
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise ValidationError({"weekdays": _("Days are numbers from 0 (Monday) to 6 (Sunday).")})
        days.append(day)
    return sorted(set(days))


def maintenance_window_save(*, actor, window: MaintenanceWindow | None = None, **fields) -> MaintenanceWindow:
    """Create a service's maintenance window (no `window`) or change one: `fields` among service (a
    business service), name, weekdays (0 Monday ... 6 Sunday), start_time, duration_minutes (up to a
    week), time_zone (IANA), is_active. Audited. Raises PermissionDenied unless a change manager,
    ValidationError for bad input."""
    _authorise(actor)
    unknown = set(fields) - set(MAINTENANCE_FIELDS)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if "weekdays" in fields:
        fields["weekdays"] = _weekdays(fields["weekdays"])
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ValidationError({"name": _("This field cannot be blank.")})
    if "time_zone" in fields:
        try:
            validate_time_zone(fields["time_zone"])
        except ValidationError as exc:
            raise ValidationError({"time_zone": exc.messages}) from None
    if "duration_minutes" in fields:
        minutes = fields["duration_minutes"]
        if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_DURATION:
            raise ValidationError(
                {"duration_minutes": _("From 1 minute to a week (%(max)d minutes).") % {"max": MAX_DURATION}}
            )
    if "service" in fields:
        fields["service"] = _services([fields["service"]])[0]
    creating = window is None
    with transaction.atomic():
        window = (
            MaintenanceWindow()
            if creating
            else MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
        )
        diff = _diff(window, fields)
        missing = [
            name
            for name in ("service_id", "name", "start_time", "duration_minutes")
            if getattr(window, name) in (None, "")
        ]
        if missing or not window.weekdays:
            names = [name.removesuffix("_id") for name in missing] + ([] if window.weekdays else ["weekdays"])
            raise ValidationError({name: _("This field is required.") for name in names})
        window.save()
        if creating or diff:
            action = "change.maintenance_created" if creating else "change.maintenance_updated"
            audit_record(actor=actor, action=action, target=window, data=diff)
    return window


def maintenance_window_delete(*, actor, window: MaintenanceWindow) -> None:
    """Remove a maintenance window (audited). Raises PermissionDenied unless a change manager."""
    _authorise(actor)
    with transaction.atomic():
        audit_record(
            actor=actor, action="change.maintenance_deleted", target=window, data={"name": window.name}
        )
        window.delete()


def calendar_feed_renew(*, user) -> CalendarFeed:
    """Give `user` a new secret address of the schedule's feed, replacing any they had (the old one stops
    answering). It shows what `user` may see (a requester: the changes they requested). Audited without
    the key. Raises PermissionDenied for who is not signed in."""
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied()
    with transaction.atomic():
        key = secrets.token_urlsafe(32)
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(
            user=user, defaults={"key": key}
        )
        if not created:
            feed.key = key
            feed.last_used_at = None
            feed.save(update_fields=["key", "last_used_at"])
        audit_record(
            actor=user, action="change.calendar_feed_renewed", target=feed, data={"created": created}
        )
    return feed


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    """Note that the feed was read (at most once an hour: a calendar polls it often)."""
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= FEED_USE_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
        feed.last_used_at = now
