"""Shared setup of the catalogue-form and fulfilment tests: a laptop request type with fields and tasks."""

from incidents import services
from incidents.models import RequestType, TaskTemplate

LAPTOP_SCHEMA = {
    "type": "object",
    "x-order": ["model", "needed_by", "cost_centre", "for_whom", "justification", "ram_gb", "docking"],
    "properties": {
        "model": {"type": "string", "title": "Model", "enum": ["Standard 14", "Developer 16"]},
        "needed_by": {"type": "string", "format": "date", "title": "Needed by"},
        "cost_centre": {"type": "string", "title": "Cost centre", "minLength": 4, "maxLength": 10},
        "for_whom": {"type": "integer", "format": "user", "title": "For whom"},
        "justification": {"type": "string", "title": "Justification", "x-widget": "textarea"},
        "ram_gb": {"type": "integer", "title": "Memory (GB)", "minimum": 8, "maximum": 64},
        "docking": {"type": "boolean", "title": "Docking station"},
    },
    "required": ["model", "needed_by", "cost_centre", "for_whom"],
}


def laptop_type(service, *, groups, approval=RequestType.Approval.NONE, parallel=False, schema=None):
    """`groups`: one group per task, in order; `parallel`: the second task runs alongside the first."""
    request_type = RequestType.objects.create(
        name="New laptop", service=service, approval=approval, form_schema=schema or LAPTOP_SCHEMA
    )
    for position, group in enumerate(groups):
        TaskTemplate.objects.create(
            request_type=request_type,
            position=position,
            name=f"Step {position + 1}",
            support_group=group,
            parallel=parallel and position > 0,
        )
    return request_type


def answers(person, **changes):
    return {
        "model": "Developer 16",
        "needed_by": "2027-01-15",
        "cost_centre": "CC-1234",
        "for_whom": person.pk,
        **changes,
    }


ASKED = object()


def file_laptop(actor, request_type, form_data=ASKED, **kwargs):
    """File a request as `actor`; `form_data` the answers (default: valid ones; None: no form put)."""
    return services.incident_create(
        actor=actor,
        kind="request",
        title="A laptop",
        request_type=request_type,
        form_data=answers(kwargs.get("requester", actor)) if form_data is ASKED else form_data,
        **kwargs,
    )
