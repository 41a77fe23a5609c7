"""How the SLA engine reads incidents and requests, and how it escalates them (its `SLAAdapter`)."""

from django.utils.translation import gettext_lazy as _

from servicedesk.sla.adapters import SLAFacts

from . import workflow as wf

AWAITING_APPROVAL = "awaiting_approval"
PAUSE_CHOICES = [
    ("on_hold:requester", _("On hold: waiting for the requester")),
    ("on_hold:vendor", _("On hold: waiting for a vendor")),
    ("on_hold:change", _("On hold: waiting for a change")),
    # A request of a type that needs approval, until it is approved (servicedesk.approvals re-syncs the
    # clocks when the approval opens and when it settles).
    (AWAITING_APPROVAL, _("Awaiting approval")),
]


def _pause_reason(record) -> str:
    """What holds the record that a policy may pause on: a hold, or a pending approval of an open record."""
    if record.status == wf.ON_HOLD:
        return f"on_hold:{record.hold_reason}"
    if record.status in wf.OPEN_STATUSES and wf.awaiting_approval(record):
        return AWAITING_APPROVAL
    return ""


class IncidentSLA:
    pause_choices = PAUSE_CHOICES
    due_field = "sla_due_at"

    def facts(self, record) -> SLAFacts:
        merged = record.merged_into_id is not None
        return SLAFacts(
            kind=record.kind,
            priority=record.priority,
            organisation_id=record.requester.organisation_id,
            service_policy_id=record.service.sla_policy_id if record.service_id else None,
            pause_reason=_pause_reason(record),
            responded=record.responded_at is not None,
            resolved=record.status in (wf.RESOLVED, wf.CLOSED) and not merged,
            cancelled=record.status == wf.CANCELLED or merged,
        )

    def requester_time_zone(self, record) -> str:
        return record.requester.time_zone

    def location_time_zone(self, record) -> str:
        """The first affected CI (by id) with a location that has a time zone; a location CI counts itself."""
        for ci in record.affected_cis.select_related("location", "ci_class").order_by("pk"):
            place = ci if ci.ci_class.code == "location" else ci.location
            zone = (place.attributes or {}).get("time_zone") if place is not None else None
            if isinstance(zone, str) and zone:
                return zone
        return ""

    def announce(self, record, *, event: str, clock, data: dict) -> None:
        from .services.escalation import incident_sla_announce

        incident_sla_announce(record=record, event=event, clock=clock, data=data)

    def announce_many(self, announcements) -> None:
        from .services.escalation import incident_sla_announce_many

        incident_sla_announce_many(announcements=announcements)

    def escalate(self, record, *, clock, rule) -> dict:
        from .services.escalation import incident_escalate

        return incident_escalate(record=record, clock=clock, rule=rule)


INCIDENT_SLA = IncidentSLA()
