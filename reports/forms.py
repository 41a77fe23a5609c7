"""The report form: a period, the breakdown, and the filters the measure honours, each offering what
the reader may choose. Its query string is what a saved report keeps and what the API takes."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicedesk.reporting.dimensions import dimension
from servicedesk.reporting.measures import BUCKETS, FILTERS, Measure, Query, Scope
from servicedesk.selectors import agent_list

from .models import ReportSchedule
from .periods import DEFAULT_BUCKET, DEFAULT_PERIOD, PERIODS, period_instants

BUCKET_LABELS = {"day": _("Day"), "week": _("Week"), "month": _("Month")}
MAX_DAYS = 3 * 366
# Periods past which a daily breakdown would draw too many points: a week or a month instead.
MAX_BUCKETS = 400


class ReportForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=list(PERIODS.items()), required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(label=_("Rows"), required=False)
    bucket = forms.ChoiceField(
        label=_("Each row"), required=False, choices=[(b, BUCKET_LABELS[b]) for b in BUCKETS]
    )

    def __init__(self, data=None, *, measure: Measure, user, **kwargs):
        super().__init__(data, **kwargs)
        self.measure = measure
        self.user = user
        self.fields["by"].choices = [
            (name, _("Period") if name == "period" else dimension(name).label) for name in measure.breakdowns
        ]
        for name in measure.filters:
            dim = dimension(name)
            choices = dim.choices(user) if dim.choices else []
            if name == "kind" and measure.kinds:
                choices = [(value, label) for value, label in choices if value in measure.kinds]
            self.fields[name] = forms.TypedMultipleChoiceField(
                label=dim.label,
                choices=choices,
                coerce=int if dim.integer else str,
                required=False,
            )
        if measure.snapshot:
            for name in ("period", "start", "end", "bucket"):
                self.fields[name].disabled = True

    @property
    def filter_names(self) -> list[str]:
        return [name for name in self.measure.filters if name in self.fields]

    def clean(self):
        data = super().clean()
        period = data.get("period") or DEFAULT_PERIOD
        data["period"] = period
        if period == "custom" and not self.measure.snapshot and not ({"start", "end"} & set(self.errors)):
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise ValidationError({"start": _("Give both dates, or choose a period.")})
            if end < start:
                raise ValidationError({"end": _("The end comes before the start.")})
            if (end - start).days > MAX_DAYS:
                raise ValidationError({"end": _("At most three years at a time.")})
        if data.get("by") not in self.measure.breakdowns:
            data["by"] = self.measure.breakdowns[0]
        data["bucket"] = data.get("bucket") or DEFAULT_BUCKET[period]
        return data

    def query(self, scope: Scope, *, now=None, time_zone: str | None = None) -> Query:
        """The valid form as a measure's Query, in the reader's time zone (the active one by default)."""
        data = self.cleaned_data
        now = now or timezone.now()
        zone = time_zone or timezone.get_current_timezone_name()
        start, end = period_instants(data["period"], now, zone, data.get("start"), data.get("end"))
        bucket = data["bucket"]
        if data["by"] == "period" and bucket == "day" and (end - start) > timedelta(days=MAX_BUCKETS):
            bucket = "month"
        filters = {FILTERS[name]: tuple(data.get(name) or ()) for name in self.filter_names}
        return Query(
            start=start,
            end=end,
            time_zone=zone,
            scope=scope,
            by=data["by"],
            bucket=bucket,
            now=now,
            **filters,
        )


class SavedReportForm(forms.Form):
    """Save the report being read under a name: the query string comes from the page."""

    name = forms.CharField(label=_("Name"), max_length=100)
    query = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)


class ScheduleForm(forms.Form):
    frequency = forms.ChoiceField(
        label=pgettext_lazy("report schedule", "Send"),
        choices=ReportSchedule.Frequency.choices,
        initial=ReportSchedule.Frequency.WEEKLY,
    )
    weekday = forms.TypedChoiceField(
        label=_("On (weekly)"), coerce=int, choices=list(WEEKDAYS.items()), initial=0
    )
    day = forms.TypedChoiceField(
        label=_("On day (monthly)"), coerce=int, choices=[(d, d) for d in range(1, 29)], initial=1
    )
    hour = forms.TypedChoiceField(
        label=_("At"), coerce=int, choices=[(h, f"{h:02d}:00") for h in range(24)], initial=7
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=ReportSchedule.Format.choices, initial=ReportSchedule.Format.CSV
    )
    recipients = forms.ModelMultipleChoiceField(
        label=_("Recipients"),
        queryset=None,
        help_text=_("People who read reports; each receives the figures they may see."),
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = agent_list()
        self.fields["recipients"].widget.attrs["size"] = 8
        self.fields["hour"].help_text = _("In your time zone (%(zone)s).") % {
            "zone": owner.time_zone or settings.TIME_ZONE
        }
