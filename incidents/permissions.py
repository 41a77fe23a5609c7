"""Who may see and do what with incidents and requests (the transitions' rules are in workflow.py)."""

from servicedesk.records.policy import RecordPolicy

from . import workflow as wf
from .models import Incident


class IncidentRules(RecordPolicy):
    """Agents see every record; a requester sees their own, and their organisation's where it shares them."""

    model = Incident
    work_permission = wf.WORK_PERMISSION
    view_permission = "incidents.view_incident"
    final_statuses = tuple(wf.FINAL_STATUSES)

    def can_file(self, user) -> bool:
        return wf.is_person(user) and user.has_perm("incidents.add_incident")

    def can_file_for_others(self, user) -> bool:
        """Agents record calls on behalf of a requester (phone, walk-in) and integrations file for people."""
        return self.can_file(user) and self.is_agent(user)

    def can_assign(self, user, record: Incident) -> bool:
        return self.can_edit(user, record)

    def can_declare_major(self, user, record: Incident) -> bool:
        return (
            wf.is_person(user)
            and user.has_perm("incidents.declare_major_incident")
            and record.kind == Incident.Kind.INCIDENT
            and record.status not in wf.FINAL_STATUSES
        )

    def can_link(self, user, record: Incident) -> bool:
        """Link parent and child, and merge duplicates."""
        return (
            wf.is_person(user)
            and user.has_perm("incidents.merge_incident")
            and record.status not in wf.FINAL_STATUSES
        )

    def can_watch(self, user, record: Incident) -> bool:
        """Whoever sees a record may follow it; anyone who files records may follow an open major
        incident (the outage everyone is hit by) instead of filing a duplicate."""
        if super().can_watch(user, record):
            return True
        return record.is_major and record.status in wf.OPEN_STATUSES and self.can_file(user)

    def can_rate(self, user, record: Incident) -> bool:
        """The requester rates a resolved or closed record once."""
        return (
            wf.is_requester(record, user)
            and record.status in (wf.RESOLVED, wf.CLOSED)
            and record.merged_into_id is None
            and record.csat_score is None
        )


IncidentPolicy = IncidentRules()
