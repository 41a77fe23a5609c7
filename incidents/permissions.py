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


class FulfilmentTaskRules:
    """A request's fulfilment task is done (or reopened) by an agent member of its group, or by an agent of
    incidents and requests; requesters see the tasks' progress on their request, nothing more."""

    def can_work(self, user, task, *, group_ids=None) -> bool:
        """`group_ids`: the user's groups, when the caller read them once for many tasks."""
        if not wf.is_person(user):
            return False
        if wf.is_agent(user):
            return True
        if not user.is_agent:
            return False
        if group_ids is not None:
            return task.support_group_id in group_ids
        return task.support_group.members.filter(pk=user.pk).exists()

    def tasks_visible_to(self, user):
        """The tasks `user` may work: an agent of incidents every task, another agent their groups' tasks."""
        from .models import FulfilmentTask

        if wf.is_agent(user):
            return FulfilmentTask.objects.all()
        if wf.is_person(user) and user.is_agent:
            return FulfilmentTask.objects.filter(support_group__members=user)
        return FulfilmentTask.objects.none()


FulfilmentTaskPolicy = FulfilmentTaskRules()
