"""Who may see and do what with problems and known errors (the transitions' rules are in workflow.py).

Problems are the desk's internal work: agents who hold the problems' working right see and work them,
problem managers also close, cancel, publish known errors and decide candidates. Requesters never see a
problem; they see a known error's workaround only once it is published to the portal."""

from django.db.models import Q, QuerySet

from servicedesk.records.policy import RecordPolicy, is_person

from . import workflow as wf
from .models import KnownError, Problem


class ProblemRules(RecordPolicy):
    model = Problem
    work_permission = wf.WORK_PERMISSION
    view_permission = "problems.view_problem"
    final_statuses = wf.FINAL_STATUSES

    def is_manager(self, user) -> bool:
        return self.is_agent(user) and user.has_perm(wf.MANAGE_PERMISSION)

    def visible_to(self, user) -> QuerySet:
        """Those who may see every problem; nobody else sees any (not even one they raised)."""
        if is_person(user) and user.has_perm(self.view_permission):
            return Problem.objects.all()
        return Problem.objects.none()

    def can_see(self, user, record) -> bool:
        return is_person(user) and user.has_perm(self.view_permission)

    def can_file(self, user) -> bool:
        return self.is_agent(user) and user.has_perm("problems.add_problem")

    def can_link(self, user, record) -> bool:
        """Link incidents (and later changes) while the problem is not final."""
        return self.is_agent(user) and not self.is_final(record)

    # The KEDB.

    def known_errors_visible_to(self, user) -> QuerySet:
        """Managers see every entry; agents the published and retired ones; requesters (and anyone who may
        use the portal) those published to the portal."""
        if not is_person(user):
            return KnownError.objects.none()
        if self.is_manager(user):
            return KnownError.objects.all()
        if user.has_perm("problems.view_knownerror"):
            return KnownError.objects.exclude(status=KnownError.Status.DRAFT)
        return KnownError.objects.filter(status=KnownError.Status.PORTAL)

    def portal_known_errors(self) -> QuerySet:
        return KnownError.objects.filter(status=KnownError.Status.PORTAL)

    def agent_known_errors(self) -> QuerySet:
        """What an agent may apply: published, to agents or also to the portal."""
        return KnownError.objects.filter(
            Q(status=KnownError.Status.AGENTS) | Q(status=KnownError.Status.PORTAL)
        )

    def can_edit_known_error(self, user, known_error) -> bool:
        return self.is_manager(user)

    def can_apply_workaround(self, user) -> bool:
        return is_person(user) and user.has_perm("problems.add_workaroundapplication") and user.is_agent

    def can_decide_candidates(self, user) -> bool:
        return self.is_manager(user)


ProblemPolicy = ProblemRules()
