"""Who may see and do what with changes (the transitions' rules are in workflow.py).

Agents who hold the changes' working right see every change and work them (plans, implementation); change
managers also assess, send to the CAB, schedule, override conflicts, close and cancel, and keep the
catalogue of standard changes and the freeze and maintenance windows. CAB members and other managers see
every change (they decide through the kernel's approvals). A requester sees only the changes they
requested."""

from django.db.models import QuerySet

from servicedesk.records.policy import RecordPolicy, is_person

from . import workflow as wf
from .models import Change


class ChangeRules(RecordPolicy):
    model = Change
    work_permission = wf.WORK_PERMISSION
    view_permission = "changes.view_change"
    final_statuses = wf.FINAL_STATUSES

    def is_manager(self, user) -> bool:
        return self.is_agent(user) and user.has_perm(wf.MANAGE_PERMISSION)

    def visible_to(self, user) -> QuerySet:
        """Who may see changes sees them all; anyone else the ones they requested."""
        if not is_person(user):
            return Change.objects.none()
        if user.has_perm(self.view_permission):
            return Change.objects.all()
        return Change.objects.filter(requester=user)

    def can_see(self, user, record) -> bool:
        if not is_person(user):
            return False
        return user.has_perm(self.view_permission) or record.requester_id == user.pk

    def sees_all(self, user) -> bool:
        return is_person(user) and user.has_perm(self.view_permission)

    def can_file(self, user) -> bool:
        """Agents and integrations holding the right raise changes (a pipeline its standard ones)."""
        return is_person(user) and user.has_perm("changes.add_change")

    def can_edit(self, user, record) -> bool:
        """Agents of changes edit a change that is still being planned; after approval only its manager
        moves its dates (checked again for conflicts), and nobody its plans."""
        if self.is_final(record):
            return False
        if record.status in wf.PLANNING_STATUSES:
            return self.is_agent(user) or (record.status == wf.DRAFT and self.is_requester(user, record))
        return self.is_manager(user)

    def can_assess(self, user, record) -> bool:
        return self.is_manager(user) and record.status in (wf.SUBMITTED, wf.ASSESSMENT)

    def can_review(self, user, record) -> bool:
        """The post-implementation review: the change's manager or who implemented it."""
        return self.is_agent(user) and record.status in wf.REVIEWABLE_STATUSES

    def can_link(self, user, record) -> bool:
        return self.is_agent(user) and not self.is_final(record)

    def can_manage_catalogue(self, user) -> bool:
        """The standard changes, risk questions, approval rules and freeze and maintenance windows."""
        return self.is_manager(user)

    def can_see_schedule(self, user) -> bool:
        return self.sees_all(user)


ChangePolicy = ChangeRules()
