"""Who may see and do what with releases (the transitions' rules are in workflow.py).

Everyone in the workspace who holds the releases' view right sees every release (the forward schedule is
for all who work the desk) and downloads its artifacts; agents who hold the working right build them:
bundle changes, upload artifacts, plan waves, and (as a deployment pipeline's account) report the tasks'
results. Release managers (and administrators) also run them: the checklist, the go/no-go, starting the
deployment and passing its gates, rolling back, closing and cancelling. Approvers decide the go/no-go
through the kernel's approvals, for which seeing releases is enough. Anyone else sees only the releases
they raised."""

from django.db.models import QuerySet

from servicedesk.records.policy import RecordPolicy, is_person

from . import workflow as wf
from .models import Release


class ReleaseRules(RecordPolicy):
    model = Release
    work_permission = wf.WORK_PERMISSION
    view_permission = "releases.view_release"
    final_statuses = wf.FINAL_STATUSES

    def is_manager(self, user) -> bool:
        return self.is_agent(user) and user.has_perm(wf.MANAGE_PERMISSION)

    def visible_to(self, user) -> QuerySet:
        if not is_person(user):
            return Release.objects.none()
        if user.has_perm(self.view_permission):
            return Release.objects.all()
        return Release.objects.filter(requester=user)

    def can_see(self, user, record) -> bool:
        if not is_person(user):
            return False
        return user.has_perm(self.view_permission) or record.requester_id == user.pk

    def sees_all(self, user) -> bool:
        return is_person(user) and user.has_perm(self.view_permission)

    def can_file(self, user) -> bool:
        return is_person(user) and user.has_perm("releases.add_release") and self.is_agent(user)

    def can_edit(self, user, record) -> bool:
        """Agents of releases edit one being prepared; from the go/no-go on only its manager moves its
        dates, and nobody what it bundles."""
        if self.is_final(record):
            return False
        if record.status in wf.PREPARING_STATUSES:
            return self.is_agent(user)
        return self.is_manager(user)

    def can_bundle(self, user, record) -> bool:
        """Add or remove changes and targets: while it is prepared."""
        return self.is_agent(user) and record.status in wf.PREPARING_STATUSES

    def can_add_artifact(self, user, record) -> bool:
        return self.is_agent(user) and not record.artifacts_frozen

    def can_download(self, user, record) -> bool:
        """The artifacts are for those who see every release (not a requester who raised one)."""
        return self.sees_all(user)

    def can_verify(self, user, record) -> bool:
        return self.is_agent(user)

    def can_keep_checklist(self, user, record) -> bool:
        """The go/no-go checklist: while testing (a release manager, or the test lead for the tests)."""
        return record.status in (wf.BUILDING, wf.TESTING) and (
            self.is_manager(user) or (self.is_agent(user) and record.test_lead_id == user.pk)
        )

    def can_plan_waves(self, user, record) -> bool:
        """Waves are planned until the deployment starts; after that only pending ones change."""
        return self.is_agent(user) and record.status in (*wf.PREPARING_STATUSES, wf.GO_NO_GO, wf.APPROVED)

    def can_report(self, user, record) -> bool:
        """A pipeline (or an agent) reports the tasks of a release being deployed."""
        return self.is_agent(user) and record.status == wf.DEPLOYING

    def can_run_waves(self, user, record) -> bool:
        """Start a wave at a manual gate, retry a failed one, roll back."""
        return self.is_manager(user)

    def can_link(self, user, record) -> bool:
        return self.is_agent(user) and not self.is_final(record)

    def can_see_schedule(self, user) -> bool:
        return self.sees_all(user)


ReleasePolicy = ReleaseRules()
