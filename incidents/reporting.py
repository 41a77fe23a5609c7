"""What incidents and requests give management information: their facts (`facts`), the dimensions only
they have (service, category, channel), the desk's measures over their kinds, and the queue as the list
a report drills into."""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.reporting.desk import register_desk_measures
from servicedesk.reporting.dimensions import Dimension, register_dimension, register_drill
from servicedesk.reporting.measures import Note

from .models import Category, Incident

KINDS = ("incident", "request")


def facts(records) -> dict:
    """The columns incidents and requests add to their facts (servicedesk.models.RecordFact)."""
    return {
        record.pk: {
            "channel": record.channel,
            # merged into another record: counted there, not twice
            "merged": record.merged_into_id is not None,
            "service_id": record.service_id,
            "category_id": record.category_id,
            "first_contact": record.first_contact_resolution,
            # A how-to question answered, or an incident the first line resolved while the caller waited.
            "training_need": record.resolution_code == Incident.ResolutionCode.ADVICE
            or (record.kind == Incident.Kind.INCIDENT and record.first_contact_resolution),
            "reopen_count": record.reopen_count,
            "responded_at": record.responded_at,
            "csat_score": record.csat_score,
            "csat_commented": bool(record.csat_comment.strip()),
            "rated_at": record.rated_at,
        }
        for record in records
    }


def _service_labels(values):
    from cmdb.models import ConfigurationItem

    return dict(ConfigurationItem.objects.filter(pk__in=[v for v in values if v]).values_list("pk", "name"))


def _service_choices(user):
    from cmdb.selectors import business_service_list

    return [(service.pk, service.name) for service in business_service_list()]


def _category_labels(values):
    return {c.pk: str(c) for c in Category.objects.filter(pk__in=[v for v in values if v])}


def _category_choices(user):
    return [(c.pk, str(c)) for c in Category.objects.filter(parent__isnull=True, is_active=True)]


# The queue's filter for each of the report's: (record filter, queue parameter).
_SINGLE = {
    "groups": "support_group",
    "agents": "assignee",
    "services": "service",
    "categories": "category",
}
_MANY = {"priorities": "priority", "channels": "channel"}
_PERIOD = {"opened": "created", "resolved": "resolved", "ended": "resolved"}
# What the queue cannot list: a report row with one of these has no drill-down.
_UNLISTABLE = ("organisations", "departments", "policies", "rated", "training_need")


def drill(records: dict) -> str | None:
    """The queue filtered to the records a report row counts, or None where the queue cannot say it."""
    if any(records.get(name) for name in _UNLISTABLE):
        return None
    params = [("view", "open" if records.get("open") else "all")]
    kinds = set(records.get("kinds", ())) & set(KINDS)
    if len(kinds) == 1:
        params.append(("kind", kinds.pop()))
    for name, param in _SINGLE.items():
        values = records.get(name) or []
        if len(values) > 1:
            return None
        if values:
            params.append((param, values[0]))
    for name, param in _MANY.items():
        params.extend((param, value) for value in records.get(name) or [])
    for flag, prefix in _PERIOD.items():
        if records.get(flag):
            params.append((f"{prefix}_after", records["from"].isoformat()))
            params.append((f"{prefix}_before", records["before"].isoformat()))
    if "opened_from" in records:
        params.append(("created_after", records["opened_from"].isoformat()))
    if "opened_before" in records:
        params.append(("created_before", records["opened_before"].isoformat()))
    if records.get("sla_breached"):
        params.append(("sla_breached", "true"))
    if records.get("breaching_within"):
        params.append(("sla_breaching_within", records["breaching_within"]))
    return f"{reverse('incidents:queue')}?{urlencode(params)}"


def _channel_labels(values):
    return {v: Incident.Channel(v).label if v in Incident.Channel.values else v for v in values}


def csat_comments(query, rows) -> list[Note]:
    """The satisfaction comments of the rated facts `rows` (newest first), read from their records."""
    picked = list(rows.values_list("object_id", "number", "csat_score", "rated_at"))
    words = dict(
        Incident.objects.filter(pk__in=[pk for pk, *_rest in picked]).values_list("pk", "csat_comment")
    )
    return [
        Note(number=number, url=reverse("record", args=[number]), text=words.get(pk, ""), at=at, rating=score)
        for pk, number, score, at in picked
        if words.get(pk, "").strip()
    ]


def register_reporting() -> None:
    register_dimension(
        Dimension("service", _("Business service"), "service_id", _service_labels, _service_choices)
    )
    register_dimension(
        Dimension("category", _("Category"), "category_id", _category_labels, _category_choices)
    )
    register_dimension(
        Dimension(
            "channel",
            _("Channel"),
            "channel",
            lambda values: {
                v: Incident.Channel(v).label if v in Incident.Channel.values else v for v in values
            },
            lambda user: list(Incident.Channel.choices),
            integer=False,
        )
    )
    for kind in KINDS:
        register_drill(kind, drill)
    register_desk_measures(KINDS, comments=csat_comments)
