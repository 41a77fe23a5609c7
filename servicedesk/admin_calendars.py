"""The admin of business calendars: weekly hours, holidays and openings, and loading public holidays.

Saving a calendar re-computes the due times of the open clocks counted through it (`sla_calendar_changed`),
and "Preview effect on open records" shows which would move before anything is saved.
"""

import re
from datetime import date

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .admin import AuditedAdmin
from .admin_sla import SLAPreviewMixin
from .form_errors import apply_service_errors
from .models import BusinessCalendar, CalendarException, SLAClock, WorkingInterval
from .sla.calendars import calendar_load_holidays, calendar_schedule, holiday_countries
from .sla.edits import sla_calendar_changed

_CLOCK = re.compile(r"^(?P<hours>\d{1,2}):(?P<minutes>\d{2})$")


class ClockField(forms.Field):
    """A time of day as HH:MM, 00:00 to 24:00 (the end of the day), held as minutes after midnight."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"size": 5, "maxlength": 5, "placeholder": "09:00"})
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return f"{value // 60:02d}:{value % 60:02d}"
        return value

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        match = _CLOCK.match(str(value).strip())
        if match is None:
            raise ValidationError(_("Enter a time as HH:MM, e.g. 09:00 or 24:00."), code="invalid")
        minutes = int(match["hours"]) * 60 + int(match["minutes"])
        if int(match["minutes"]) > 59 or minutes > 24 * 60:
            raise ValidationError(_("Enter a time from 00:00 to 24:00."), code="invalid")
        return minutes


class WorkingIntervalForm(forms.ModelForm):
    start_minute = ClockField(label=_("from"))
    end_minute = ClockField(label=_("until"))

    class Meta:
        model = WorkingInterval
        fields = ["weekday", "start_minute", "end_minute"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_minute"), data.get("end_minute")
        if start is not None and end is not None and start >= end:
            raise ValidationError(_("The interval must end after it starts."))
        return data


class CalendarExceptionForm(forms.ModelForm):
    start_minute = ClockField(label=_("from"), required=False)
    end_minute = ClockField(label=_("until"), required=False)

    class Meta:
        model = CalendarException
        fields = ["date", "kind", "name", "start_minute", "end_minute", "source"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_minute"), data.get("end_minute")
        if data.get("kind") == CalendarException.Kind.OPEN:
            if start is None or end is None or start >= end:
                raise ValidationError(_("Working time on a date needs a start before its end."))
        else:
            data["start_minute"] = data["end_minute"] = None
        return data


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    form = WorkingIntervalForm
    extra = 0


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    form = CalendarExceptionForm
    extra = 0
    ordering = ["-date", "start_minute"]


class HolidayLoadForm(forms.Form):
    country = forms.ChoiceField(label=_("country"), choices=holiday_countries)
    subdivision = forms.CharField(
        label=_("region"), required=False, max_length=10, help_text=_("Optional, e.g. CA for California.")
    )
    first_year = forms.IntegerField(label=_("from year"), min_value=1970, max_value=2100)
    last_year = forms.IntegerField(label=_("to year"), min_value=1970, max_value=2100)

    def clean(self):
        data = super().clean()
        first, last = data.get("first_year"), data.get("last_year")
        if first is not None and last is not None and not 0 <= last - first < 10:
            raise ValidationError(_("Choose from one to ten years, the first not after the last."))
        return data


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(SLAPreviewMixin, AuditedAdmin):
    list_display = ["name", "time_zone", "updated_at"]
    search_fields = ["name"]
    inlines = [WorkingIntervalInline, CalendarExceptionInline]

    def preview_clocks(self, object_id):
        return SLAClock.objects.filter(policy__calendar_id=object_id)

    def get_object(self, request, object_id, from_field=None):
        calendar = super().get_object(request, object_id, from_field)
        if calendar is not None and request.method == "POST":
            # The hours its clocks ran under, read before the form and the inlines change them.
            calendar._schedule_before = calendar_schedule(calendar)
        return calendar

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        before = getattr(form.instance, "_schedule_before", None)
        if change and before is not None:
            sla_calendar_changed(calendar=form.instance, before=before)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/holidays/",
                self.admin_site.admin_view(self.load_holidays_view),
                name="servicedesk_businesscalendar_holidays",
            )
        ]
        return urls + super().get_urls()

    def load_holidays_view(self, request, pk):
        calendar = self.get_object(request, str(pk))
        if calendar is None or not self.has_change_permission(request, calendar):
            return redirect("admin:servicedesk_businesscalendar_changelist")
        year = date.today().year
        form = HolidayLoadForm(request.POST or None, initial={"first_year": year, "last_year": year + 1})
        if request.method == "POST" and form.is_valid():
            try:
                added = calendar_load_holidays(
                    calendar=calendar,
                    actor=request.user,
                    country=form.cleaned_data["country"],
                    subdivision=form.cleaned_data["subdivision"] or None,
                    years=range(form.cleaned_data["first_year"], form.cleaned_data["last_year"] + 1),
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                added_text = _("%(count)d holidays and working days added.") % {"count": added}
                self.message_user(request, added_text, messages.SUCCESS)
                return redirect(reverse("admin:servicedesk_businesscalendar_change", args=[calendar.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": calendar,
            "form": form,
            "title": _("Load public holidays into %(calendar)s") % {"calendar": calendar},
        }
        return TemplateResponse(request, "admin/servicedesk/businesscalendar/load_holidays.html", context)
