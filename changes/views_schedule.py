"""The forward schedule of changes (issue 16, item 4): month, week and list views, filtered by service, CI,
group and risk, with the freezes drawn on it and what other apps put on it (`schedule_sources`: releases
and their waves); its iCalendar feed at a secret address per person; and the
conflicts panel the change's page includes (`conflicts_context`, `changes/_conflicts.html`).

Everyone signed in may open the schedule and see on it what they may see of changes (a requester: the
changes they requested; agents: all of them); the feed reads the schedule as its owner would.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import workflow as wf
from .conflicts import change_conflicts, conflicts_many
from .forms_schedule import VIEW_LABELS, ScheduleFilterForm
from .ics import calendar
from .models import CalendarFeed
from .permissions import ChangePolicy
from .schedule import LIST, MAX_ROWS, MONTH, change_schedule_for_user, day_spans, schedule_span
from .schedule_sources import schedule_entries
from .services.windows import calendar_feed_renew, calendar_feed_used
from .windows import blackouts_in

FEED_PAST_DAYS = 31
FEED_FUTURE_DAYS = 366
FEED_MAX = 1000


def _feed_url(request, feed: CalendarFeed | None) -> str:
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("change_schedule:feed", args=[feed.key]))


@login_required
@require_GET
def schedule(request):
    """The schedule over a month, a week or 30 days (a list), with the filters; an invalid filter draws
    nothing and says why (400). At most `MAX_ROWS` changes are drawn; the page says when there are more.
    The list view shows each change's conflicts to those who see every change."""
    form = ScheduleFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    data = form.cleaned_data if form.is_bound and valid else {}
    span = schedule_span(data.get("view") or MONTH, data.get("date") or timezone.localdate())
    if valid:
        rows = change_schedule_for_user(
            user=request.user,
            start=span.start,
            end=span.end,
            service=data.get("service"),
            ci=data.get("ci"),
            group=data.get("group"),
            risk=data.get("risk") or "",
        )
        changes = list(rows[: MAX_ROWS + 1])
        others, more_others = schedule_entries(
            user=request.user,
            start=span.start,
            end=span.end,
            service=data.get("service"),
            ci=data.get("ci"),
            group=data.get("group"),
            risk=data.get("risk") or "",
            limit=MAX_ROWS,
        )
    else:
        changes, others, more_others = [], [], False
    more = len(changes) > MAX_ROWS or more_others
    changes = changes[:MAX_ROWS]
    service = data.get("service")
    freezes = list(blackouts_in(span.start, span.end, services=[service.pk] if service else ()))
    sees_all = ChangePolicy.sees_all(request.user)
    if span.view == LIST and sees_all and changes:
        found = conflicts_many(changes)
        for change in changes:
            change.conflicts = found.get(change.pk, [])
    query = request.GET.copy()
    for name in ("view", "date"):
        query.pop(name, None)
    feed = CalendarFeed.objects.filter(user=request.user).first()
    context = {
        "form": form,
        "span": span,
        "view": span.view,
        "views": VIEW_LABELS.items(),
        "changes": changes,
        "others": others,
        "more": more,
        "max_rows": MAX_ROWS,
        "days": _days(span, changes, freezes, others),
        "freezes": freezes,
        "filters": query.urlencode(),
        "today": timezone.localdate(),
        "approved": wf.APPROVED,
        "show_conflicts": span.view == LIST and sees_all,
        "feed_url": _feed_url(request, feed),
    }
    return render(request, "changes/schedule.html", context, status=200 if valid else 400)


def _days(span, changes, freezes, others=()) -> list[dict]:
    by_day = day_spans(changes, span.days)
    others_by_day = day_spans(others, span.days)
    frozen = day_spans([_Span(f.starts_at, f.ends_at, f) for f in freezes], span.days)
    return [
        {
            "date": day,
            "changes": by_day[day],
            "others": others_by_day[day],
            "freezes": [entry.window for entry in frozen[day]],
            "in_month": day.month == span.anchor.month,
        }
        for day in span.days
    ]


class _Span:
    """A freeze as `day_spans` reads a change (the same rule puts both on their days)."""

    def __init__(self, start, end, window):
        self.planned_start, self.planned_end, self.window = start, end, window


@login_required
@require_POST
def feed_renew(request):
    """Give the person a new secret address of the schedule's feed (the old one stops answering)."""
    calendar_feed_renew(user=request.user)
    messages.success(request, _("Your calendar feed has a new address: the old one no longer works."))
    return redirect("change_schedule:schedule")


@require_GET
def feed(request, key: str):
    """The schedule as iCalendar for the owner of `key`: what they may see of it, from a month ago to a
    year ahead. 404 for an unknown key or an owner who may no longer sign in."""
    found = CalendarFeed.objects.select_related("user").filter(key=key).first() if key else None
    if found is None or not found.user.is_active:
        raise Http404
    calendar_feed_used(feed=found)
    now = timezone.now()
    rows = change_schedule_for_user(
        user=found.user,
        start=now - timedelta(days=FEED_PAST_DAYS),
        end=now + timedelta(days=FEED_FUTURE_DAYS),
    )[:FEED_MAX]
    others, _more = schedule_entries(
        user=found.user,
        start=now - timedelta(days=FEED_PAST_DAYS),
        end=now + timedelta(days=FEED_FUTURE_DAYS),
        limit=FEED_MAX,
    )
    body = calendar(
        rows,
        others=others,
        url_of_entry=lambda entry: request.build_absolute_uri(entry.url),
        url_of=lambda change: request.build_absolute_uri(reverse("record", args=[change.number])),
        host=request.get_host().split(":")[0],
        name=_("Forward schedule of changes"),
        stamp=now,
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="changes.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


def conflicts_context(record) -> dict:
    """What `changes/_conflicts.html` shows of a change: its conflicts now, and the override recorded
    when it went ahead despite them."""
    return {
        "record": record,
        "conflicts": change_conflicts(record),
        "has_dates": record.planned_start is not None and record.planned_end is not None,
        "override_reason": record.conflict_override_reason,
        "override_by": record.conflict_override_by if record.conflict_override_by_id else None,
        "override_at": record.conflict_override_at,
    }
