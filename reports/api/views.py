"""Management information as data, for BI tools: `/api/v1/reports/` lists the measures the caller may
read, `/api/v1/reports/{measure}/?…` answers one as a series, with the report page's filters."""

import zoneinfo

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response

from servicedesk.api.base import APIView
from servicedesk.errors import NotFound as RecordNotFound
from servicedesk.reporting.measures import BUCKETS, FILTERS

from ..forms import ReportForm
from ..periods import PERIODS
from ..scope import reader_scope
from ..selectors import measure_for, readable_measures, result_for


def _scope(request):
    scope = reader_scope(request.user)
    if scope is None:
        raise PermissionDenied(_("You have no management information to read."))
    return scope


class MeasureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    section = serializers.CharField()
    filters = serializers.ListField(child=serializers.CharField())
    breakdowns = serializers.ListField(child=serializers.CharField())
    snapshot = serializers.BooleanField(help_text="A point in time (now): the period is ignored.")


class ColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(choices=["count", "percent", "seconds", "number", "rating"])


class RowSerializer(serializers.Serializer):
    key = serializers.JSONField(help_text="The period's first day (ISO date), or the breakdown's value.")
    label = serializers.CharField()
    values = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="By column key.")
    url = serializers.CharField(allow_null=True, help_text="The records behind the row, in the queue.")


class NoteSerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.CharField(allow_null=True, help_text="The record's page.")
    text = serializers.CharField(help_text="What the requester wrote.")
    at = serializers.DateTimeField()
    rating = serializers.IntegerField(allow_null=True)


class SeriesSerializer(serializers.Serializer):
    measure = MeasureSerializer()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    time_zone = serializers.CharField()
    by = serializers.CharField()
    bucket = serializers.CharField()
    chart = serializers.CharField()
    columns = ColumnSerializer(many=True)
    rows = RowSerializer(many=True)
    totals = serializers.DictField(child=serializers.FloatField(allow_null=True))
    notes = NoteSerializer(many=True, help_text="Satisfaction comments behind the figures, newest first.")


def _describe(found) -> dict:
    return {
        "key": found.key,
        "label": str(found.label),
        "definition": str(found.definition),
        "section": str(found.section),
        "filters": list(found.filters),
        "breakdowns": list(found.breakdowns),
        "snapshot": found.snapshot,
    }


FILTER_PARAMETERS = [
    OpenApiParameter("period", OpenApiTypes.STR, enum=list(PERIODS), description="Default last_30_days."),
    OpenApiParameter("start", OpenApiTypes.DATE, description="With period=custom: the first day."),
    OpenApiParameter("end", OpenApiTypes.DATE, description="With period=custom: the last day."),
    OpenApiParameter(
        "by", OpenApiTypes.STR, description="The rows: period, or one of the measure's breakdowns."
    ),
    OpenApiParameter(
        "bucket", OpenApiTypes.STR, enum=["day", "week", "month"], description="Each period row."
    ),
    OpenApiParameter(
        "time_zone",
        OpenApiTypes.STR,
        description="An IANA time zone for the periods (default: the caller's).",
    ),
    *[
        OpenApiParameter(name, OpenApiTypes.STR, many=True, description=f"Only these {attribute} (repeat).")
        for name, attribute in FILTERS.items()
    ],
]


class ParametersSerializer(serializers.Serializer):
    """The period and row parameters as the schema documents them, checked for every measure (a snapshot
    ignores its period, but a malformed one is still refused). The report page's form reads an empty
    field as "not chosen", what an HTML form sends; the API takes no empty value."""

    period = serializers.ChoiceField(choices=list(PERIODS), required=False)
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
    by = serializers.CharField(required=False)
    bucket = serializers.ChoiceField(choices=list(BUCKETS), required=False)
    time_zone = serializers.CharField(required=False, max_length=64)

    def validate_time_zone(self, value: str) -> str:
        if value not in zoneinfo.available_timezones():
            raise serializers.ValidationError(_("Not a known time zone."))
        return value


def _check_parameters(params) -> dict:
    names = ParametersSerializer().fields
    repeated = {
        name: [_("Give one value.")] for name, values in params.lists() if name in names and len(values) > 1
    }
    if repeated:
        raise ValidationError(repeated)
    checked = ParametersSerializer(data={name: params[name] for name in names if name in params})
    checked.is_valid(raise_exception=True)
    return checked.validated_data


class ReportListView(APIView):
    @extend_schema(summary="The measures the caller may read", responses=MeasureSerializer(many=True))
    def get(self, request):
        return Response([_describe(found) for found in readable_measures(_scope(request))])


class ReportView(APIView):
    @extend_schema(
        summary="One measure as a series",
        description=(
            "Dates and periods are in `time_zone` when given, else the caller's (their profile's, or the "
            "site's)."
        ),
        parameters=FILTER_PARAMETERS,
        responses=SeriesSerializer,
    )
    def get(self, request, key: str):
        scope = _scope(request)
        try:
            found = measure_for(scope, key)
        except RecordNotFound:
            raise NotFound(_("No such report.")) from None
        checked = _check_parameters(request.query_params)
        form = ReportForm(request.query_params, measure=found, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        # A token's caller has no session: their profile's time zone, unless they ask for one.
        zone = checked.get("time_zone") or request.user.time_zone or timezone.get_current_timezone_name()
        query = form.query(scope, time_zone=zone)
        result = result_for(found, query)
        data = result.as_dict()
        for row, source in zip(data["rows"], result.rows, strict=True):
            row["url"] = request.build_absolute_uri(source.url) if getattr(source, "url", None) else None
        for note in data["notes"]:
            note["url"] = request.build_absolute_uri(note["url"]) if note["url"] else None
        return Response(
            {
                "measure": _describe(found),
                "start": query.start,
                "end": query.end,
                "time_zone": query.time_zone,
                "by": query.by,
                "bucket": query.bucket,
                **data,
            }
        )
